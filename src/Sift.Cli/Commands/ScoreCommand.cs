using System.CommandLine;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Models;
using Sift.Reports;
using Sift.Scoring;

namespace Sift.Cli.Commands;

/// <summary>`sift score ...`: per-example statistics and the scores built from them.</summary>
public static class ScoreCommand
{
    public static Command Create()
    {
        var score = new Command("score", ScoreHelp.Score);
        score.Subcommands.Add(ModelScore("perplexity", ScoreKind.Perplexity, ScoreHelp.Perplexity));
        score.Subcommands.Add(ModelScore("ifd", ScoreKind.Ifd, ScoreHelp.Ifd));
        score.Subcommands.Add(ModelScore("learnability", ScoreKind.Learnability, ScoreHelp.Learnability));
        score.Subcommands.Add(ModelScore("confidence", ScoreKind.Confidence, ScoreHelp.Confidence));
        score.Subcommands.Add(Dynamics());
        score.Subcommands.Add(Random());
        score.Subcommands.Add(Merge());
        score.Subcommands.Add(Plot());
        return score;
    }

    private static Command ModelScore(string name, ScoreKind kind, string help)
    {
        var data = new Option<string>("--data") { Description = "Data file (.jsonl, .json, .jsonl.zst, .parquet; any supported layout)", Required = true };
        var output = new Option<string>("--out") { Description = "Output path without extension (or ending in .parquet/.jsonl): writes OUT.parquet, OUT.jsonl, OUT.meta.json", Required = true };
        var model = new Option<string>("--model") { Description = "Model folder in Hugging Face layout", Required = kind is ScoreKind.Perplexity or ScoreKind.Ifd };
        var baseModel = new Option<string>("--base") { Description = "Base model folder (the model to be fine-tuned)", Required = kind == ScoreKind.Learnability };
        var refModel = new Option<string>("--ref") { Description = "Reference model folder (the base fine-tuned on the whole pool)", Required = kind == ScoreKind.Learnability };
        var run = new Option<string?>("--run") { Description = "Training output folder holding confidence_checkpoints.json" };
        var checkpoints = new Option<string[]>("--checkpoints") { Description = "Checkpoint folders in training order (instead of --run)", AllowMultipleArgumentsPerToken = true };
        var read = new DataReadOptions($"Record layout: {DataLayoutNames.Choices}", "Field renames, e.g. prompt=question,response=answer",
            "Skip invalid records (counted in OUT.meta.json) instead of stopping at the first", DataReadOptions.DefaultLimitHelp);
        var maxLength = new Option<int>("--max-length") { Description = "Tokens per example; longer ones are truncated (use the training setting)", DefaultValueFactory = _ => new TokenizationOptions().MaxLength };
        var template = new Option<string?>("--template") { Description = "Chat template name, overriding the one detected (use the training setting)" };
        var lastTurn = new Option<bool>("--last-turn-only") { Description = "Score only the last assistant turn (use the training setting)" };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per forward pass (does not change values)", DefaultValueFactory = _ => new ScoringOptions().BatchSize };
        var maxBatchTokens = new Option<int>("--max-batch-tokens") { Description = "Padded tokens per forward pass at most (does not change values)", DefaultValueFactory = _ => new ScoringOptions().MaxBatchTokens };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or bfloat16 (default: the checkpoint's); log-softmax is fp32 either way" };
        var ifdPrefix = new Option<string>("--ifd-prefix") { Description = "Text before the response in the IFD direct pass", DefaultValueFactory = _ => IfdDirectExamples.DefaultPrefix };
        var shard = new Option<string?>("--shard") { Description = "Score shard I/N (0-based) of the examples, by a hash of the example id; default from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX" };
        var shardCount = new Option<int?>("--shard-count") { Description = "Number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or a Slurm array" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Folder for tokenized-data caches" };
        var device = DeviceOption.Create();
        var tokenMean = TokenMeanOption();

        var command = new Command(name, help) { data, output, read, maxLength, template, lastTurn, batchSize, maxBatchTokens, dtype, device, shard, shardCount, cacheDir };
        switch (kind)
        {
            case ScoreKind.Perplexity: command.Add(model); break;
            case ScoreKind.Ifd: command.Add(model); command.Add(ifdPrefix); break;
            case ScoreKind.Learnability: command.Add(baseModel); command.Add(refModel); break;
            case ScoreKind.Confidence: command.Add(run); command.Add(checkpoints); command.Add(tokenMean); break;
        }
        command.SetAction(parse => CliErrors.Run(() =>
        {
            IReadOnlyList<string> models = kind switch
            {
                ScoreKind.Learnability => [parse.GetValue(baseModel)!, parse.GetValue(refModel)!],
                ScoreKind.Confidence => CheckpointList(parse.GetValue(run), parse.GetValue(checkpoints)),
                _ => [parse.GetValue(model)!],
            };
            var settings = new ScoreJobSettings
            {
                Kind = kind,
                DataPath = InputFiles.Require(parse.GetValue(data)!, "--data"),
                Read = read.Bind(parse),
                Tokenization = new TokenizationOptions { MaxLength = parse.GetValue(maxLength), LastTurnOnly = parse.GetValue(lastTurn) },
                Template = parse.GetValue(template),
                Models = models,
                Scoring = new ScoringOptions { BatchSize = parse.GetValue(batchSize), MaxBatchTokens = parse.GetValue(maxBatchTokens) },
                DType = DTypes.Parse(parse.GetValue(dtype), "--dtype"),
                Device = DeviceOption.Resolve(parse, device),
                IfdPrefix = parse.GetValue(ifdPrefix) ?? IfdDirectExamples.DefaultPrefix,
                TokenMean = kind == ScoreKind.Confidence ? TokenMeans.Parse(parse.GetValue(tokenMean), "--token-mean") : TokenMean.Geometric,
                Shard = ShardSpec.Resolve(parse.GetValue(shard), parse.GetValue(shardCount), Environment.GetEnvironmentVariable),
                OutStem = ScoreTableFiles.Stem(parse.GetValue(output)!),
                CacheDir = parse.GetValue(cacheDir),
            };
            var result = ScoreJob.Run(settings, Console.Error.WriteLine);
            var meta = result.Meta;
            Console.WriteLine($"{(result.AlreadyDone ? "already scored" : "scored")} {meta.Scored} examples -> {result.Stem}.parquet, {result.Stem}.jsonl" +
                              (result.Resumed > 0 ? $" (resumed: {result.Resumed} rows were already done)" : ""));
            ReportExcluded(meta.Excluded);
            if (meta.InvalidRecords > 0) Console.WriteLine($"skipped {meta.InvalidRecords} invalid records");
            return 0;
        }));
        return command;
    }

    private static Option<string> TokenMeanOption() => new("--token-mean")
    {
        Description = "Cartography's per-checkpoint probability p_c: geometric = exp(-L_c) (default), arithmetic = mean over response tokens of p(gold token)",
        DefaultValueFactory = _ => "geometric",
    };

    private static IReadOnlyList<string> CheckpointList(string? run, string[]? checkpoints)
    {
        if ((run == null) == (checkpoints is not { Length: > 0 }))
            throw new SiftException("give the training run with --run OUT (reads OUT/confidence_checkpoints.json) or the folders with --checkpoints DIR DIR ..., not both");
        return run != null ? ConfidenceCheckpoints.Read(run) : checkpoints!;
    }

    private static void ReportExcluded(IReadOnlyList<ExcludedExample> excluded)
    {
        if (excluded.Count == 0) return;
        Console.WriteLine($"excluded {excluded.Count} examples (listed in the .meta.json):");
        foreach (var e in excluded.Take(5)) Console.WriteLine($"  {e.Id}: {e.Reason}");
        if (excluded.Count > 5) Console.WriteLine("  ...");
    }

    private static Command Dynamics()
    {
        var run = new Option<string>("--run") { Description = "Training output folder holding training_dynamics.jsonl", Required = true };
        var output = new Option<string?>("--out") { Description = "Output path without extension (default: RUN/dynamics_scores)" };
        var epochs = new Option<int?>("--epochs") { Description = "Use only the first N complete epochs (Cartography's burn-out)" };
        var tokenMean = TokenMeanOption();
        var command = new Command("dynamics", ScoreHelp.Dynamics) { run, output, epochs, tokenMean };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var runDir = parse.GetValue(run)!;
            var mean = TokenMeans.Parse(parse.GetValue(tokenMean), "--token-mean");
            var path = Path.Combine(runDir, TrainingDynamics.FileName);
            var records = TrainingDynamics.Read(path, out bool torn);
            var result = TrainingDynamics.Score(records, path, parse.GetValue(epochs), torn, mean);
            var stem = ScoreTableFiles.Stem(parse.GetValue(output) ?? Path.Combine(runDir, "dynamics_scores"));
            ScoreTableFiles.WriteBoth(result.Table, stem);
            var sha256 = Sift.IO.ContentHash.OfFile(path); // the dynamics file is both the data and the fingerprint
            new ScoreMeta
            {
                Kind = "dynamics",
                Fingerprint = sha256,
                DataPath = Path.GetFullPath(path),
                DataSha256 = sha256,
                Passes = result.Epochs.Select(e => $"epoch {e}").ToList(),
                TokenMean = ScoreMeta.TokenMeanField(mean),
                Assigned = result.Table.RowCount,
                Scored = result.Table.RowCount,
                Columns = ScoreMeta.Describe(result.Table, mean),
            }.Write(ScoreMeta.PathFor(stem));
            Console.WriteLine($"scored {result.Table.RowCount} examples over epochs {string.Join(", ", result.Epochs)} -> {stem}.parquet, {stem}.jsonl");
            if (result.IncompleteEpochs.Count > 0)
                Console.WriteLine($"left out incomplete epochs {string.Join(", ", result.IncompleteEpochs)} (not every example was recorded in them)");
            if (torn) Console.WriteLine("ignored a torn last line (the trainer stopped mid-write)");
            return 0;
        }));
        return command;
    }

    private static Command Random()
    {
        var data = new Option<string>("--data") { Description = "Data file", Required = true };
        var output = new Option<string>("--out") { Description = "Output path without extension", Required = true };
        var seed = new Option<long>("--seed") { Description = "Seed", DefaultValueFactory = _ => 0 };
        var read = new DataReadOptions($"Record layout: {DataLayoutNames.Choices}", "Field renames, e.g. prompt=question,response=answer", skipInvalid: null,
            DataReadOptions.DefaultLimitHelp);
        var command = new Command("random", ScoreHelp.Random) { data, output, seed, read };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var dataPath = InputFiles.Require(parse.GetValue(data)!, "--data");
            var readOptions = read.Bind(parse);
            var table = RandomScoreTable.Build(DatasetReader.Read(dataPath, readOptions), parse.GetValue(seed));
            var stem = ScoreTableFiles.Stem(parse.GetValue(output)!);
            ScoreTableFiles.WriteBoth(table, stem);
            var hash = Sift.IO.ContentHash.OfFile(dataPath);
            new ScoreMeta
            {
                Kind = "random",
                // The limit only when set, so tables scored without it keep their fingerprint.
                Fingerprint = Sift.IO.ContentHash.OfString($"random;seed={parse.GetValue(seed)};data={hash}" +
                                                                 (readOptions.Limit is int limit ? $";limit={limit}" : "")),
                DataPath = Path.GetFullPath(dataPath),
                DataSha256 = hash,
                Assigned = table.RowCount,
                Scored = table.RowCount,
                DataLimit = readOptions.Limit,
                Columns = ScoreMeta.Describe(table),
            }.Write(ScoreMeta.PathFor(stem));
            Console.WriteLine($"scored {table.RowCount} examples -> {stem}.parquet, {stem}.jsonl");
            return 0;
        }));
        return command;
    }

    private static Command Merge()
    {
        var output = new Option<string>("--out") { Description = "The --out the shards were run with; reads OUT.shard-I-of-N.* and writes OUT.parquet, OUT.jsonl, OUT.meta.json", Required = true };
        var command = new Command("merge", "Merge the shard tables of a sharded `sift score` run into one table, equal to an unsharded run. " +
                                           "Every shard must have finished; missing or duplicate ids are errors.") { output };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var result = ScoreMerge.Run(ScoreTableFiles.Stem(parse.GetValue(output)!));
            Console.WriteLine($"merged {result.Shards} shards: {result.Meta.Scored} examples -> {result.Stem}.parquet, {result.Stem}.jsonl");
            ReportExcluded(result.Meta.Excluded);
            return 0;
        }));
        return command;
    }

    private static Command Plot()
    {
        var table = new Argument<string>("TABLE") { Description = "Score table (.parquet or .jsonl)" };
        var output = new Option<string>("--out") { Description = "Folder for the PNG files", Required = true };
        var command = new Command("plot", "PNG histograms of every score column, and the Cartography data map (confidence vs variability, colored by correctness).") { table, output };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var path = InputFiles.Require(parse.GetValue(table)!, "TABLE", "score table");
            foreach (var file in ScorePlots.Write(ScoreTableFiles.Read(path), path, parse.GetValue(output)!)) Console.WriteLine($"wrote {file}");
            return 0;
        }));
        return command;
    }
}

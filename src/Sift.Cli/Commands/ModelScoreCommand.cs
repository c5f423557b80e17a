using System.CommandLine;
using Sift.Data.Layouts;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Models;
using Sift.Scoring;
using Sift.Training;
using Sift.Training.Recipes;

namespace Sift.Cli.Commands;

/// <summary>`sift score NAME` for a method that runs model passes: the options every such score shares, its model folders and settings; runs <see cref="ScoreJob"/>.</summary>
public static class ModelScoreCommand
{
    public static Command Create(IScoreMethod method)
    {
        var data = new Option<string>("--data") { Description = "Data file (.jsonl, .json, .jsonl.zst, .parquet; any supported layout)", Required = true }.Input();
        var output = new Option<string>("--out") { Description = "Output path without extension (or ending in .parquet/.jsonl): writes OUT.parquet, OUT.jsonl, OUT.meta.json", Required = true };
        var read = new DataReadOptions($"Record layout: {DataLayoutNames.Choices}", "Field renames, e.g. prompt=question,response=answer",
            "Skip invalid records (counted in OUT.meta.json) instead of stopping at the first", DataReadOptions.DefaultLimitHelp);
        var fromRun = method.Inputs == ScoreInputs.Checkpoints ? "; with --run the run's, which a given value must equal" : "";
        var maxLength = new Option<int>("--max-length") { Description = $"Tokens per example; longer ones are truncated (use the training setting{fromRun})", DefaultValueFactory = _ => new TokenizationOptions().MaxLength };
        var template = new Option<string?>("--template") { Description = $"Chat template name, overriding the one detected (use the training setting{fromRun})" };
        var lastTurn = new Option<bool>("--last-turn-only") { Description = $"Score only the last assistant turn (use the training setting{fromRun})" };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per forward pass (does not change values)", DefaultValueFactory = _ => new ScoringOptions().BatchSize };
        var maxBatchTokens = new Option<int>("--max-batch-tokens") { Description = "Padded tokens per forward pass at most (does not change values)", DefaultValueFactory = _ => new ScoringOptions().MaxBatchTokens };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or bfloat16 (default: the checkpoint's); log-softmax is fp32 either way" };
        var shard = new Option<string?>("--shard") { Description = "Score shard I/N (0-based) of the examples, by a hash of the example id; default from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX, or the rank of mpirun -np N (OMPI_COMM_WORLD_RANK, PMI_RANK)" };
        var shardCount = new Option<int?>("--shard-count") { Description = "Number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or a Slurm array" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Folder for tokenized-data caches" };
        var device = DeviceOption.Create();
        var (modelOptions, bindModels, run) = ModelFolders(method.Inputs);
        var settings = new MethodSettingOptions(method.Settings);

        var command = new Command(method.Name, method.Help) { data, output, read, maxLength, template, lastTurn, batchSize, maxBatchTokens, dtype, device, shard, shardCount, cacheDir };
        foreach (var option in modelOptions.Concat(settings.All)) command.Options.Add(option);
        command.SetJob((parse, context) =>
        {
            var models = bindModels(parse);
            var tokenization = new TokenizationOptions { MaxLength = parse.GetValue(maxLength), LastTurnOnly = parse.GetValue(lastTurn) };
            var templateName = parse.GetValue(template);
            if (run is not null && parse.GetValue(run) is { } runDir)
            {
                T? Given<T>(Option<T> option) where T : struct => parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : null;
                var trained = RunTokenization.Of(new RunFolder(runDir));
                trained.Check(Given(maxLength), Given(lastTurn), templateName, models[0]);
                (tokenization, templateName) = (trained.Options, trained.Template);
            }
            var result = ScoreJob.Run(new ScoreJobSettings
            {
                Method = method,
                DataPath = InputFiles.Require(parse.GetValue(data)!, "--data"),
                Read = read.Bind(parse),
                Tokenization = tokenization,
                Template = templateName,
                Models = models,
                Scoring = new ScoringOptions { BatchSize = parse.GetValue(batchSize), MaxBatchTokens = parse.GetValue(maxBatchTokens) },
                DType = DTypes.Parse(parse.GetValue(dtype), "--dtype"),
                Device = DeviceOption.Resolve(parse, device),
                Settings = settings.Bind(parse),
                Shard = ShardSpec.Resolve(parse.GetValue(shard), parse.GetValue(shardCount), Environment.GetEnvironmentVariable),
                OutStem = ScoreTableFiles.Stem(parse.GetValue(output)!),
                CacheDir = parse.GetValue(cacheDir),
            }, context);
            var meta = result.Meta;
            Console.WriteLine($"{(result.AlreadyDone ? "already scored" : "scored")} {meta.Scored} examples -> {result.Stem}.parquet, {result.Stem}.jsonl" +
                              (result.Resumed > 0 ? $" (resumed: {result.Resumed} rows were already done)" : ""));
            ScoreCommand.ReportExcluded(meta.Excluded);
            if (meta.InvalidRecords > 0) Console.WriteLine($"skipped {meta.InvalidRecords} invalid records");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The options naming the model folders of <paramref name="inputs"/>, how to read them into the job's model list,
    /// and for checkpoints the --run option (whose run also gives the tokenization settings).
    /// </summary>
    private static (Option[] Options, Func<ParseResult, IReadOnlyList<string>> Bind, Option<string?>? Run) ModelFolders(ScoreInputs inputs)
    {
        switch (inputs)
        {
            case ScoreInputs.OneModel:
            {
                var model = new Option<string>("--model") { Description = "Model folder in Hugging Face layout", Required = true }.Input();
                return ([model], parse => [parse.GetValue(model)!], null);
            }
            case ScoreInputs.BaseAndReference:
            {
                var baseModel = new Option<string>("--base") { Description = "Base model folder (the model to be fine-tuned)", Required = true }.Input();
                var refModel = new Option<string>("--ref") { Description = "Reference model folder (the base fine-tuned on the whole pool)", Required = true }.Input();
                return ([baseModel, refModel], parse => [parse.GetValue(baseModel)!, parse.GetValue(refModel)!], null);
            }
            case ScoreInputs.Checkpoints:
            {
                var run = new Option<string?>("--run")
                {
                    Description = $"Training output folder: scores the checkpoints its {RunFiles.ConfidenceList.Name} lists, tokenized as the run was ({RunFiles.Recipe.Name})",
                }.Input();
                var checkpoints = new Option<string[]>("--checkpoints") { Description = "Checkpoint folders in training order (instead of --run)", AllowMultipleArgumentsPerToken = true }.Input();
                return ([run, checkpoints], parse => CheckpointList(parse.GetValue(run), parse.GetValue(checkpoints)), run);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "runs no model");
        }
    }

    private static IReadOnlyList<string> CheckpointList(string? run, string[]? checkpoints)
    {
        if ((run == null) == (checkpoints is not { Length: > 0 }))
            throw new SiftException($"give the training run with --run OUT (reads OUT/{RunFiles.ConfidenceList.Name}) or the folders with --checkpoints DIR DIR ..., not both");
        return run != null ? ConfidenceList.Folders(new RunFolder(run)) : checkpoints!;
    }
}

using System.Diagnostics;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.IO;
using Sift.Models;
using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Scoring;

/// <summary>Everything one `sift score` run over models needs.</summary>
public sealed record ScoreJobSettings
{
    /// <summary>A method that runs model passes (<see cref="ScoreInputRules.RunsModels"/>).</summary>
    public required IScoreMethod Method { get; init; }
    public required string DataPath { get; init; }
    public DatasetOptions Read { get; init; } = new();
    public TokenizationOptions Tokenization { get; init; } = new();
    public string? Template { get; init; }
    /// <summary>The model folders of the method's <see cref="IScoreMethod.Inputs"/>: one, base then reference, or the C checkpoints.</summary>
    public required IReadOnlyList<string> Models { get; init; }
    public ScoringOptions Scoring { get; init; } = new();
    public ScalarType? DType { get; init; }
    public MethodSettings Settings { get; init; } = new();
    /// <summary>Where the models run (null: the CPU); the values are the CPU's up to rounding.</summary>
    public Device? Device { get; init; }
    public ShardSpec? Shard { get; init; }
    /// <summary>Output path without extension; a shard adds ".shard-I-of-N".</summary>
    public required string OutStem { get; init; }
    public string? CacheDir { get; init; }
}

public sealed record ScoreJobResult(string Stem, ScoreMeta Meta, bool AlreadyDone, int Resumed);

/// <summary>
/// Runs the model passes of one score method over the data (or one shard of it), one model in
/// memory at a time, logging finished rows to a partial file after every batch so a killed (or
/// cancelled) run resumes where it stopped; then writes the method's table as STEM.parquet, STEM.jsonl
/// and STEM.meta.json atomically and removes the partial file.
/// </summary>
public static class ScoreJob
{
    public static string ShardStem(string stem, ShardSpec? shard) => shard == null ? stem : $"{stem}.{shard.Tag}";

    public static string PartialPath(string stem) => stem + ".partial.jsonl";

    /// <summary>Locks the files STEM.* against a second process scoring into them (shards of one --out have their own stems).</summary>
    public static FolderLock LockOutput(string stem) => FolderLock.AcquireFile(stem + FolderLock.FileName, stem);

    public static ScoreJobResult Run(ScoreJobSettings s, JobContext context)
    {
        var log = context.Log;
        var method = s.Method;
        if (!method.Inputs.RunsModels()) throw new ArgumentException($"'{method.Name}' runs no model; it is scored by the job of its inputs, {method.Inputs}");
        method.Inputs.CheckModels(s.Models);
        var passes = method.Passes(s.Models);
        var tokenizer = TokenizedDataset.TokenizerFor(s.Models[0], s.Tokenization, s.Template);
        tokenizer.Tokenizer.CheckFitsModel(ModelConfig.Load(s.Models[0]).VocabSize);

        var dataHash = ContentHash.OfFile(s.DataPath);
        var weights = ScoredWeights.Of(s.Models);
        var tokenMean = method.Takes(MethodSetting.TokenMean) ? s.Settings.TokenMean : TokenMean.Geometric;
        var fingerprint = Fingerprint(s, tokenMean, dataHash, tokenizer.Template.Name, weights);
        var stem = ShardStem(s.OutStem, s.Shard);
        using var outputLock = LockOutput(stem);
        var metaPath = ScoreMeta.PathFor(stem);
        if (File.Exists(metaPath) && File.Exists(ScoreTableFiles.ParquetPath(stem)) && File.Exists(ScoreTableFiles.JsonlPath(stem)))
        {
            var existing = ScoreMeta.Read(metaPath);
            if (existing.Weights is not { } before)
                log($"note: {metaPath} was written before Sift recorded the weights it scored with, so it may be stale: rescoring");
            else if (existing.Fingerprint == fingerprint)
            {
                log($"{stem}: already complete ({existing.Scored} examples); nothing to do");
                return new ScoreJobResult(stem, existing, AlreadyDone: true, Resumed: 0);
            }
            else if (weights.ChangedSince(before) is { } changed)
                log($"weights changed since {metaPath} was written: {changed}: rescoring");
        }

        if (Path.GetDirectoryName(Path.GetFullPath(stem)) is { } outDir) Directory.CreateDirectory(outDir);
        var data = ScoringData.Load(s.DataPath, s.Read, tokenizer, s.Shard, s.CacheDir);
        log($"{data.Examples.Count} examples to score{(s.Shard == null ? "" : $" in shard {s.Shard} ({data.Assigned.Count} assigned)")}" +
            (data.Excluded.Count > 0 ? $"; {data.Excluded.Count} excluded (no response tokens)" : "") +
            (data.InvalidRecords > 0 ? $"; {data.InvalidRecords} invalid records skipped" : ""));
        var prefix = passes.Any(p => p.Direct) ? IfdDirectExamples.PrefixIds(tokenizer.Tokenizer, s.Settings.IfdPrefix) : [];

        int resumed = 0;
        var partialPath = PartialPath(stem);
        var stats = new List<IReadOnlyDictionary<string, ExampleStats>>();
        using (var partial = PartialScoreFile.Open(partialPath, fingerprint + "|" + s.Shard, weights))
        {
            if (partial.StartedOver is { } why) log($"note: discarded the rows in {partialPath} ({why}); starting over");
            CausalLM? model = null;
            string? loadedDir = null;
            try
            {
                foreach (var pass in passes)
                {
                    var done = partial.Done(pass.Name);
                    resumed += data.Examples.Count(e => done.ContainsKey(e.Id));
                    var pending = data.Examples.Where(e => !done.ContainsKey(e.Id))
                        .Select(e => pass.Direct ? IfdDirectExamples.Direct(e, prefix) : e).ToList();
                    if (pending.Count > 0)
                    {
                        if (model == null || loadedDir != Path.GetFullPath(pass.ModelDir))
                        {
                            model?.Dispose();
                            model = null;
                            model = ModelFolder.Load(pass.ModelDir, s.DType, s.Device);
                            CpuBf16.WarnIfEmulated(model.DType, log, model.Device.type);
                            loadedDir = Path.GetFullPath(pass.ModelDir);
                        }
                        RunPass(model, pass, pending, done.Count, s.Scoring, partial, context);
                    }
                    stats.Add(partial.Done(pass.Name));
                }
            }
            finally
            {
                model?.Dispose();
            }
        }

        var ids = data.Examples.Select(e => e.Id).ToArray();
        var table = ScoreTables.Build(method, ids, ids.Select(id => data.Index[id]).ToArray(),
            passes.Select((p, i) => PassStatistics.Of(p, ids.Select(id => stats[i][id]).ToList())).ToList(), s.Settings);
        int nonFinite = data.Examples.Count(e => stats.Any(p => !double.IsFinite(p[e.Id].NllSum)));
        if (nonFinite > 0) log($"warning: {nonFinite} examples have a non-finite loss (the model produced NaN or inf); their scores are NaN and selection skips them");
        var meta = new ScoreMeta
        {
            Kind = method.Name,
            Fingerprint = fingerprint,
            DataPath = Path.GetFullPath(s.DataPath),
            DataSha256 = dataHash,
            Models = weights.Models.ToList(),
            ModelWeights = weights.Identities.ToList(),
            Passes = passes.Select(p => p.Name).ToList(),
            Tokenization = s.Tokenization.Describe(),
            Template = tokenizer.Template.Name,
            Dtype = s.DType?.ToString(),
            IfdPrefix = method.Takes(MethodSetting.IfdPrefix) ? s.Settings.IfdPrefix : null,
            TokenMean = ScoreMeta.TokenMeanField(tokenMean),
            ShardIndex = s.Shard?.Index,
            ShardCount = s.Shard?.Count,
            Assigned = data.Assigned.Count,
            AssignedIds = s.Shard == null ? null : data.Assigned.ToList(),
            Scored = data.Examples.Count,
            NonFinite = nonFinite,
            InvalidRecords = data.InvalidRecords,
            DataLimit = s.Read.Limit,
            Excluded = data.Excluded.ToList(),
            Columns = ScoreMeta.Describe(table, tokenMean),
        };
        ScoreTableFiles.WriteBoth(table, stem);
        meta.Write(metaPath);
        File.Delete(partialPath);
        return new ScoreJobResult(stem, meta, AlreadyDone: false, Resumed: resumed);
    }

    private static void RunPass(CausalLM model, ScorePass pass, List<TokenizedExample> pending, int alreadyDone, ScoringOptions options,
        PartialScoreFile partial, JobContext context)
    {
        var log = context.Log;
        var timer = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        long tokens = 0;
        int finished = 0;
        log($"pass '{pass.Name}' ({pass.ModelDir}): {pending.Count} to score" + (alreadyDone > 0 ? $", {alreadyDone} already done" : ""));
        ExampleScorer.Score(model, pending, options, batch =>
        {
            partial.Append(pass.Name, batch);
            context.Cancel.ThrowIfCancellationRequested();
            finished += batch.Count;
            tokens += batch.Sum(b => (long)b.Tokens);
            if (timer.Elapsed - lastReport > TimeSpan.FromSeconds(10) || finished == pending.Count)
            {
                lastReport = timer.Elapsed;
                log($"  {pass.Name}: {finished}/{pending.Count} examples, {timer.Elapsed.TotalSeconds:F0}s");
            }
        });
        var total = pending.Sum(e => (long)e.Length);
        log($"  {pass.Name}: done in {timer.Elapsed.TotalSeconds:F1}s ({total / Math.Max(timer.Elapsed.TotalSeconds, 1e-9):F0} tok/s)");
    }

    private static string Fingerprint(ScoreJobSettings s, TokenMean tokenMean, string dataHash, string templateName, ScoredWeights weights) => ContentHash.OfString(string.Join("\n",
    [
        // The name as the ScoreKind enum that named the methods before the registry spelled it ("Perplexity"), so earlier fingerprints stay valid.
        $"kind={char.ToUpperInvariant(s.Method.Name[0])}{s.Method.Name[1..]}",
        $"data={dataHash}",
        $"layout={s.Read.Layout};columns={s.Read.Columns};skip_invalid={s.Read.SkipInvalid}",
        s.Tokenization.Describe(),
        $"template={templateName}",
        $"dtype={s.DType}",
        s.Method.Takes(MethodSetting.IfdPrefix) ? $"ifd_prefix={s.Settings.IfdPrefix}" : "",
        .. weights.Models.Select((m, i) => $"model={m}:{weights.Identities[i]}"),
        // Only when not the default, so the fingerprints (and finished tables) of earlier runs stay valid.
        .. (tokenMean != TokenMean.Geometric ? [$"token_mean={TokenMeans.Name(tokenMean)}"] : Array.Empty<string>()),
        .. (s.Read.Limit is int limit ? [$"limit={limit}"] : Array.Empty<string>()),
    ]));
}

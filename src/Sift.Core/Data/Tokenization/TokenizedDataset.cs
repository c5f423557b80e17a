using System.Runtime.ExceptionServices;
using Sift.Native;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Data.Tokenization;

/// <summary>Counts of one tokenization: what was read, kept, truncated and dropped.</summary>
public sealed record TokenizationReport(DatasetStatistics Read, long Kept, long Truncated, long DroppedTooLong, long DroppedNothingTrained)
{
    public override string ToString() =>
        $"{Kept} examples kept of {Read.Examples}; {Truncated} truncated, {DroppedTooLong} dropped as too long, " +
        $"{DroppedNothingTrained} dropped with no trained token";
}

/// <summary>How a load used the tokenized cache.</summary>
/// <param name="Path">the cache file, or null when no cache folder was given.</param>
/// <param name="Hit">true when the examples came from the cache file without reading the data.</param>
/// <param name="Note">why an existing cache file was not used (damaged, truncated) and was rebuilt; null otherwise. Callers show it to the user.</param>
public sealed record TokenizedCacheUse(string? Path, bool Hit, string? Note)
{
    public static TokenizedCacheUse Off { get; } = new(null, false, null);
}

/// <summary>A data file tokenized for one model, template and settings: the input of training, scoring and evaluation.</summary>
public sealed record TokenizedDataset(IReadOnlyList<TokenizedExample> Examples, TokenizationReport Report)
{
    /// <summary>Conversations tokenized together; each batch is spread over the worker threads.</summary>
    private const int BatchSize = 512;

    public TokenizedCacheUse Cache { get; init; } = TokenizedCacheUse.Off;

    /// <summary>
    /// Reads <paramref name="dataPath"/> and tokenizes every conversation, in file order, on
    /// <see cref="WorkerThreads.Count"/> threads. With <paramref name="cacheDir"/>, the result is
    /// cached there under a content hash of the data file, tokenizer files, template, read options
    /// and tokenization options (<see cref="TokenizedCacheKey"/>), and a later call with the same
    /// inputs reads the cache instead (<see cref="Cache"/> says which happened). A damaged cache
    /// file is rebuilt, with a <see cref="TokenizedCacheUse.Note"/>. A cache hit reads no records,
    /// so the read options' rejects sink receives nothing then; the report's counts are those of
    /// the build.
    /// </summary>
    public static TokenizedDataset LoadOrBuild(string dataPath, DatasetOptions readOptions, ExampleTokenizer tokenizer, string? cacheDir = null)
    {
        tokenizer.Options.Validate();
        if (cacheDir == null) return Build(dataPath, readOptions, tokenizer);
        if (!File.Exists(dataPath)) throw new SiftException($"{dataPath}: data file not found.");
        var key = TokenizedCacheKey.Compute(dataPath, readOptions, tokenizer);
        var path = TokenizedCacheFile.PathFor(cacheDir, dataPath, key);
        string? note = null;
        if (File.Exists(path))
        {
            var cached = TokenizedCacheFile.TryRead(path, key, out var problem);
            if (cached != null) return cached with { Cache = new TokenizedCacheUse(path, Hit: true, null) };
            note = $"tokenized cache {path} was not used: {problem}; rebuilt it";
        }
        var built = Build(dataPath, readOptions, tokenizer);
        try
        {
            TokenizedCacheFile.Write(path, key, built);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SiftException($"cannot write the tokenized cache {path} ({e.Message}); choose a writable --cache-dir or leave it out.", e);
        }
        return built with { Cache = new TokenizedCacheUse(path, Hit: false, note) };
    }

    /// <summary>The tokenizer and template of the model in <paramref name="modelDir"/>.</summary>
    public static ExampleTokenizer TokenizerFor(string modelDir, TokenizationOptions options, string? templateOverride = null) =>
        new(ModelTokenizer.Load(modelDir), ChatTemplate.ForModel(modelDir, templateOverride), options);

    private static TokenizedDataset Build(string dataPath, DatasetOptions readOptions, ExampleTokenizer tokenizer)
    {
        var stats = new DatasetStatistics();
        var examples = new List<TokenizedExample>();
        var outcomes = new long[Enum.GetValues<TokenizationOutcome>().Length];
        var batch = new List<Conversation>(BatchSize);
        var results = new (TokenizedExample? Example, TokenizationOutcome Outcome)[BatchSize];
        var errors = new Exception?[BatchSize];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = WorkerThreads.Count };

        void TokenizeBatch()
        {
            Parallel.For(0, batch.Count, parallel, i =>
            {
                try { results[i] = tokenizer.Tokenize(batch[i]); }
                catch (Exception e) { errors[i] = e; }
            });
            for (int i = 0; i < batch.Count; i++)
            {
                // The first failing example in file order, as a sequential run would report it.
                if (errors[i] is { } error) ExceptionDispatchInfo.Capture(error).Throw();
                outcomes[(int)results[i].Outcome]++;
                if (results[i].Example is { } example) examples.Add(example);
            }
            batch.Clear();
        }

        foreach (var conversation in DatasetReader.Read(dataPath, readOptions, stats))
        {
            batch.Add(conversation);
            if (batch.Count == BatchSize) TokenizeBatch();
        }
        TokenizeBatch();
        return new TokenizedDataset(examples, new TokenizationReport(stats, examples.Count,
            outcomes[(int)TokenizationOutcome.Truncated], outcomes[(int)TokenizationOutcome.DroppedTooLong],
            outcomes[(int)TokenizationOutcome.DroppedNothingTrained]));
    }
}

using Sift.Data;
using Sift.Data.Tokenization;

namespace Sift.Scoring;

/// <summary>An example of the data file that is not scored, and why.</summary>
public sealed record ExcludedExample(string Id, string Reason);

/// <summary>
/// The examples one scoring run (or shard) works on: the data file's conversations in file order,
/// those of this shard, tokenized for the model. Examples left with no response token (an empty
/// response, or one truncation cut away) or dropped as too long are excluded and reported.
/// </summary>
public sealed class ScoringData
{
    private ScoringData(IReadOnlyList<TokenizedExample> examples, IReadOnlyDictionary<string, long> index,
        IReadOnlyList<string> assigned, IReadOnlyList<ExcludedExample> excluded, long invalidRecords)
    {
        InvalidRecords = invalidRecords;
        Examples = examples;
        Index = index;
        Assigned = assigned;
        Excluded = excluded;
    }

    /// <summary>The examples to score, in file order.</summary>
    public IReadOnlyList<TokenizedExample> Examples { get; }

    /// <summary>Every id of the file and its 0-based position among the file's examples.</summary>
    public IReadOnlyDictionary<string, long> Index { get; }

    /// <summary>The ids this run is responsible for (all of them when unsharded), in file order.</summary>
    public IReadOnlyList<string> Assigned { get; }

    public IReadOnlyList<ExcludedExample> Excluded { get; }

    /// <summary>Records skipped as invalid (only with DatasetOptions.SkipInvalid; otherwise the first one stops the run).</summary>
    public long InvalidRecords { get; }

    public static ScoringData Load(string dataPath, DatasetOptions readOptions, ExampleTokenizer tokenizer, ShardSpec? shard, string? cacheDir)
    {
        var conversations = new Dictionary<string, Conversation>(StringComparer.Ordinal);
        var index = new Dictionary<string, long>(StringComparer.Ordinal);
        var assigned = new List<string>();
        var stats = new DatasetStatistics();
        foreach (var c in DatasetReader.Read(dataPath, readOptions, stats))
        {
            index[c.Id] = index.Count;
            if (shard != null && !shard.Owns(c.Id)) continue;
            assigned.Add(c.Id);
            conversations[c.Id] = c;
        }
        var tokenized = TokenizedDataset.LoadOrBuild(dataPath, readOptions, tokenizer, cacheDir).Examples
            .Where(e => conversations.ContainsKey(e.Id)).ToList();
        var kept = tokenized.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var excluded = assigned.Where(id => !kept.Contains(id))
            .Select(id => new ExcludedExample(id, Reason(tokenizer, conversations[id]))).ToList();
        return new ScoringData(tokenized, index, assigned, excluded, stats.Invalid);
    }

    private static string Reason(ExampleTokenizer tokenizer, Conversation conversation)
    {
        int max = tokenizer.Options.MaxLength;
        return tokenizer.Tokenize(conversation).Outcome switch
        {
            TokenizationOutcome.DroppedTooLong => $"longer than max_length {max} tokens (over-length policy: drop)",
            _ => $"no response tokens: the response is empty or truncation at max_length {max} removed it",
        };
    }
}

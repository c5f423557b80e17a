using System.Text.Json;
using System.Text.Json.Serialization;
using Sift.IO;

namespace Sift.Scoring;

/// <summary>
/// STEM.meta.json beside a score table: what produced it (kind, data file and its SHA-256,
/// models and their weights' identities, settings), what it covers (shard, assigned and scored counts, excluded examples with
/// reasons) and what each column means. `sift score merge` checks shards against it.
/// </summary>
public sealed record ScoreMeta
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public required string Kind { get; init; }
    /// <summary>Hash of everything that determines the values (not the shard): shards of one job share it.</summary>
    public required string Fingerprint { get; init; }
    public string? DataPath { get; init; }
    public string? DataSha256 { get; init; }
    public List<string> Models { get; init; } = [];
    /// <summary>
    /// The <see cref="Sift.Models.WeightsIdentity"/> of each of <see cref="Models"/>, in order. Tables
    /// written before Sift recorded it have none and are treated as stale.
    /// </summary>
    public List<string>? ModelWeights { get; init; }
    public List<string> Passes { get; init; } = [];
    public string? Tokenization { get; init; }
    public string? Template { get; init; }
    public string? Dtype { get; init; }
    public string? IfdPrefix { get; init; }
    /// <summary>Confidence and dynamics tables: "arithmetic" when Cartography's p_c is the arithmetic-mean token probability; absent for the geometric default.</summary>
    public string? TokenMean { get; init; }
    public int? ShardIndex { get; init; }
    public int? ShardCount { get; init; }
    public int Assigned { get; init; }
    /// <summary>Only in a shard's meta: the ids the shard is responsible for, so a merge can name what is missing.</summary>
    public List<string>? AssignedIds { get; init; }
    public int Scored { get; init; }
    public int NonFinite { get; init; }
    /// <summary>Records of the data file skipped as invalid (--skip-invalid); they have no id and no row.</summary>
    public long InvalidRecords { get; init; }
    /// <summary>--limit: only the first N valid examples of the data file were read; absent when the whole file was.</summary>
    public int? DataLimit { get; init; }
    public List<ExcludedExample> Excluded { get; init; } = [];
    public Dictionary<string, string> Columns { get; init; } = [];

    public static string PathFor(string stem) => stem + ".meta.json";

    public void Write(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    public static ScoreMeta Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ScoreMeta>(File.ReadAllText(path), Json)
                   ?? throw new SiftException($"{path}: empty score metadata");
        }
        catch (JsonException e)
        {
            throw new SiftException($"{path}: not valid score metadata ({e.Message}); rerun the scoring that wrote it", e);
        }
    }

    /// <summary>The models and weights this table was scored with; null for tables from before weights were recorded.</summary>
    [JsonIgnore]
    public ScoredWeights? Weights => ModelWeights == null ? null : new ScoredWeights(Models, ModelWeights);

    public static Dictionary<string, string> Describe(ScoreTable table, Sift.Scoring.TokenMean tokenMean = Sift.Scoring.TokenMean.Geometric) =>
        table.Columns.ToDictionary(c => c.Name, c => ScoreColumns.Describe(c.Name, tokenMean));

    /// <summary>The <see cref="TokenMean"/> field for a table: null for the geometric default, so older tables' metadata is unchanged.</summary>
    public static string? TokenMeanField(Sift.Scoring.TokenMean tokenMean) =>
        tokenMean == Sift.Scoring.TokenMean.Geometric ? null : TokenMeans.Name(tokenMean);
}

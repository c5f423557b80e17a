using Sift.Data.Layouts;
namespace Sift.Data;

/// <summary>How to read a data file.</summary>
public sealed record DatasetOptions
{
    public const int DefaultMaxRecordBytes = 64 << 20;

    /// <summary>The record layout; Auto detects it from the first record or the Parquet schema.</summary>
    public DataLayout Layout { get; init; } = DataLayout.Auto;

    /// <summary>The container; Auto decides from the file name.</summary>
    public DataFileFormat FileFormat { get; init; } = DataFileFormat.Auto;

    /// <summary>Renames the fields the layout reads (see <see cref="ColumnMapping"/>).</summary>
    public ColumnMapping Columns { get; init; } = ColumnMapping.None;

    /// <summary>Skip invalid records (counted, and sent to <see cref="Rejects"/>) instead of stopping at the first.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Receives every skipped record with its reason (invalid ones, and dropped duplicates).</summary>
    public IRejectSink? Rejects { get; init; }

    /// <summary>Top-level record fields to carry along in <see cref="Conversation.Fields"/> (e.g. a noise label); absent ones are left out.</summary>
    public IReadOnlyList<string> KeepFields { get; init; } = [];

    /// <summary>The longest line (JSON Lines) or array element (JSON) accepted, in bytes.</summary>
    public int MaxRecordBytes { get; init; } = DefaultMaxRecordBytes;

    /// <summary>Read only the first N valid examples, in file order, and stop (--limit, data.limit); null reads the whole file.</summary>
    public int? Limit { get; init; }
}

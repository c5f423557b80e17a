using System.Text.Json;
using Sift.Text;

namespace Sift.Data;

/// <summary>
/// One training example after normalization: an optional leading system message, then user and
/// assistant turns alternating, ending with an assistant turn. <see cref="Id"/> is the join key of
/// every later stage (scores, selections, caches).
/// </summary>
public sealed record Conversation(string Id, IReadOnlyList<ChatMessage> Messages, ExampleSource Source)
{
    /// <summary>The record's fields named in <see cref="DatasetOptions.KeepFields"/> that it has.</summary>
    public IReadOnlyDictionary<string, JsonElement> Fields { get; init; } = NoFields;

    private static readonly IReadOnlyDictionary<string, JsonElement> NoFields = new Dictionary<string, JsonElement>();
}

/// <summary>Whether <see cref="ExampleSource.LineOrRow"/> counts text lines or Parquet rows.</summary>
public enum SourceUnit
{
    /// <summary>1-based text line (for a JSON array: the line where the element starts).</summary>
    Line,
    /// <summary>0-based Parquet row index, as pandas and Hugging Face datasets number rows.</summary>
    Row,
}

/// <summary>Where an example came from, for messages a person can act on.</summary>
public sealed record ExampleSource(string File, long LineOrRow, SourceUnit Unit = SourceUnit.Line)
{
    /// <summary>For an element of a JSON array: its 0-based index (jq's .[N]), since many arrays are one line.</summary>
    public long? Item { get; init; }

    public override string ToString() => Unit == SourceUnit.Row ? $"{File}: row {LineOrRow}"
        : Item is { } item ? $"{File}:{LineOrRow}: item {item}" : $"{File}:{LineOrRow}";
}

using Sift.Data.Layouts;
namespace Sift.Data;

/// <summary>What a read found; filled in as the reader is enumerated.</summary>
public sealed class DatasetStatistics
{
    public DataFileFormat FileFormat { get; internal set; }

    /// <summary>The layout used (detected or given); Auto until the first record is seen.</summary>
    public DataLayout Layout { get; internal set; }

    /// <summary>Records read: lines, array elements or rows (a seed task is one record of several examples).</summary>
    public long Records { get; internal set; }

    /// <summary>Examples produced.</summary>
    public long Examples { get; internal set; }

    /// <summary>Records skipped as invalid (only with SkipInvalid; otherwise the first one stops the read).</summary>
    public long Invalid { get; internal set; }

    /// <summary>Invalid records whose assistant turn is empty or only whitespace (also counted in Invalid).</summary>
    public long EmptyResponses { get; internal set; }

    /// <summary>Examples whose given id repeats an earlier one: invalid (also counted in Invalid), since the id is the join key of every stage.</summary>
    public long DuplicateIds { get; internal set; }

    /// <summary>Examples without a given id whose content repeats an earlier example: dropped, since their hashed id would repeat.</summary>
    public long DuplicateContentDropped { get; internal set; }

    /// <summary>Examples with distinct given ids but the same content as an earlier example: kept, and counted here.</summary>
    public long DuplicateContentKept { get; internal set; }

    public override string ToString() =>
        $"{Examples} examples from {Records} records ({DataLayoutNames.Name(Layout)}, {DataFileFormats.Name(FileFormat)}); " +
        $"{Invalid} invalid ({EmptyResponses} with an empty answer), {DuplicateIds} duplicate ids, {DuplicateContentDropped} duplicate contents dropped, " +
        $"{DuplicateContentKept} duplicate contents kept under distinct ids";
}

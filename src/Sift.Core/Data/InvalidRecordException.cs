namespace Sift.Data;

/// <summary>One record is unusable; the reader turns it into a SiftException or a reject.</summary>
internal sealed class InvalidRecordException(string? field, string reason, bool emptyResponse = false) : Exception(reason)
{
    /// <summary>The record is unusable because an assistant turn is empty (counted apart in the statistics).</summary>
    public bool EmptyResponse { get; } = emptyResponse;

    /// <summary>The field at fault, as a path into the record (e.g. "messages[2].role"), or null for the whole record.</summary>
    public string? Field { get; } = field;
    public string Reason { get; } = reason;
}

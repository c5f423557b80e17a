namespace Sift.Data;

/// <summary>
/// The bytes of one record as read from the file (a JSON object for every format; Parquet rows are
/// rendered as JSON), valid only until the source moves on. <see cref="Problem"/> is set when the
/// source already knows the record is unusable (e.g. a line over the size limit); the bytes are
/// then a prefix kept for the rejects file.
/// </summary>
internal readonly record struct RawRecord(ExampleSource Source, ReadOnlyMemory<byte> Json, string? Problem = null);

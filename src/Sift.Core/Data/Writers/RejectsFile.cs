using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sift.Data.Writers;

/// <summary>
/// Writes skipped records as JSON Lines: {"file", "line" or "row", "item" (JSON arrays), "field", "reason", "raw"}.
/// "raw" is the record's text (at most 1 MiB, then "raw_truncated": true); bytes that are not
/// valid UTF-8 are shown as U+FFFD and flagged with "raw_invalid_utf8": true.
/// </summary>
public sealed class RejectsFile : IRejectSink, IDisposable
{
    private const int MaxRawBytes = 1 << 20;
    private readonly Utf8JsonWriter _writer;
    private readonly Stream _stream;

    public long Count { get; private set; }

    public RejectsFile(Stream stream)
    {
        _stream = stream;
        _writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    /// <summary>The rejects file that goes with an output file: "out.parquet" gives "out.rejects.jsonl".</summary>
    public static string PathFor(string output)
    {
        var name = Path.GetFileName(output);
        foreach (var ext in new[] { ".jsonl.zst", ".jsonl", ".ndjson", ".parquet", ".json" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) { name = name[..^ext.Length]; break; }
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, name + ".rejects.jsonl");
    }

    public void Add(in Rejection r)
    {
        _writer.WriteStartObject();
        _writer.WriteString("file", r.Source.File);
        _writer.WriteNumber(r.Source.Unit == SourceUnit.Line ? "line" : "row", r.Source.LineOrRow);
        if (r.Source.Item is { } item) _writer.WriteNumber("item", item);
        if (r.Field != null) _writer.WriteString("field", r.Field);
        else _writer.WriteNull("field");
        _writer.WriteString("reason", r.Reason);
        var raw = r.Raw.Span;
        bool truncated = raw.Length > MaxRawBytes;
        if (truncated) raw = raw[..MaxRawBytes];
        bool valid = System.Text.Unicode.Utf8.IsValid(raw);
        _writer.WriteString("raw", Encoding.UTF8.GetString(raw));
        if (truncated) _writer.WriteBoolean("raw_truncated", true);
        if (!valid) _writer.WriteBoolean("raw_invalid_utf8", true);
        _writer.WriteEndObject();
        _writer.Flush();
        _writer.Reset(); // each line is its own JSON document; no separator between them
        _stream.WriteByte((byte)'\n');
        Count++;
    }

    public void Dispose() => _writer.Dispose();
}

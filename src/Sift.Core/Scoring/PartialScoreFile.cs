using System.Text;
using System.Text.Json;

namespace Sift.Scoring;

/// <summary>
/// The restart log of a scoring run: a JSON Lines file whose first line names the job
/// ({"sift_partial": 1, "fingerprint": ..., "models": [...], "model_weights": [...]}) and whose other
/// lines are finished examples ({"pass", "id", "n_tokens", "nll_sum", "correct", "prob_sum"}), appended and
/// flushed to disk after every batch. Reopening it resumes: rows already there are not computed
/// again. A file whose rows come from other weights of the same models, or from before weights were
/// recorded, is emptied and started over (<see cref="StartedOver"/> says why), so rows of two models
/// never mix; a file of another job is refused. A torn last line (the process died mid-write) is
/// cut off; damage anywhere else is an error.
/// </summary>
public sealed class PartialScoreFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly Dictionary<string, Dictionary<string, ExampleStats>> _done = new(StringComparer.Ordinal);

    private PartialScoreFile(FileStream stream) => _stream = stream;

    public string Path => _stream.Name;

    /// <summary>Why the rows found in the file were discarded, or null when it was new or resumed.</summary>
    public string? StartedOver { get; private set; }

    /// <summary>Rows finished so far in <paramref name="pass"/>, by id.</summary>
    public IReadOnlyDictionary<string, ExampleStats> Done(string pass) =>
        _done.TryGetValue(pass, out var rows) ? rows : new Dictionary<string, ExampleStats>();

    public static PartialScoreFile Open(string path, string fingerprint, ScoredWeights weights)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        var file = new PartialScoreFile(stream);
        try
        {
            file.Load(fingerprint, weights);
            return file;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public void Append(string pass, IReadOnlyList<ExampleStats> rows)
    {
        var buffer = new MemoryStream();
        foreach (var row in rows)
        {
            WriteLine(buffer, json =>
            {
                json.WriteString("pass", pass);
                json.WriteString("id", row.Id);
                json.WriteNumber("n_tokens", row.Tokens);
                json.WritePropertyName("nll_sum");
                if (double.IsFinite(row.NllSum)) json.WriteNumberValue(row.NllSum); else json.WriteNullValue();
                json.WriteNumber("correct", row.Correct);
                json.WritePropertyName("prob_sum");
                if (double.IsFinite(row.ProbSum)) json.WriteNumberValue(row.ProbSum); else json.WriteNullValue();
            });
            Rows(pass)[row.Id] = row;
        }
        _stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _stream.Flush(flushToDisk: true);
    }

    private Dictionary<string, ExampleStats> Rows(string pass)
    {
        if (!_done.TryGetValue(pass, out var rows)) _done[pass] = rows = new Dictionary<string, ExampleStats>(StringComparer.Ordinal);
        return rows;
    }

    private void Load(string fingerprint, ScoredWeights weights)
    {
        var bytes = new byte[_stream.Length];
        _stream.ReadExactly(bytes);
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1; // a last line without its newline is torn
        var lines = Encoding.UTF8.GetString(bytes, 0, end).Split('\n', StringSplitOptions.None)[..^1];
        if (lines.Length > 0)
        {
            using var header = Parse(lines[0]);
            StartedOver = Stale(header, fingerprint, weights);
        }
        if (lines.Length == 0 || StartedOver != null)
        {
            _stream.SetLength(0);
            WriteLine(_stream, json =>
            {
                json.WriteNumber("sift_partial", 1);
                json.WriteString("fingerprint", fingerprint);
                json.WriteStartArray("models");
                foreach (var m in weights.Models) json.WriteStringValue(m);
                json.WriteEndArray();
                json.WriteStartArray("model_weights");
                foreach (var w in weights.Identities) json.WriteStringValue(w);
                json.WriteEndArray();
            });
            _stream.Flush(flushToDisk: true);
            return;
        }
        for (int i = 1; i < lines.Length; i++)
        {
            using var row = Parse(lines[i]);
            if (row is null)
            {
                if (i == lines.Length - 1) { end -= Encoding.UTF8.GetByteCount(lines[i]) + 1; break; }
                throw new SiftException($"{Path}:{i + 1}: damaged line in the middle of the partial file; delete the file to start over");
            }
            try
            {
                var r = row.RootElement;
                var nll = r.GetProperty("nll_sum");
                // prob_sum is absent in rows written before Sift kept it (they serve the geometric token mean only).
                double probSum = r.TryGetProperty("prob_sum", out var p) && p.ValueKind != JsonValueKind.Null ? p.GetDouble() : double.NaN;
                var stats = new ExampleStats(r.GetProperty("id").GetString()!, r.GetProperty("n_tokens").GetInt32(),
                    nll.ValueKind == JsonValueKind.Null ? double.NaN : nll.GetDouble(), r.GetProperty("correct").GetInt32(), probSum);
                Rows(r.GetProperty("pass").GetString()!)[stats.Id] = stats;
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new SiftException($"{Path}:{i + 1}: not a scoring row ({e.Message}); delete the file to start over");
            }
        }
        _stream.SetLength(end);
        _stream.Position = end;
    }

    /// <summary>Why the rows under this header must not be reused (null: they belong to this job); throws for another job's file.</summary>
    private string? Stale(JsonDocument? header, string fingerprint, ScoredWeights weights)
    {
        if (header is null || header.RootElement.ValueKind != JsonValueKind.Object || !header.RootElement.TryGetProperty("fingerprint", out var f))
            throw new SiftException($"{Path}: not a partial score file (its first line is no header); delete it to start over");
        var root = header.RootElement;
        if (!root.TryGetProperty("model_weights", out var ids) || !root.TryGetProperty("models", out var models))
            return "it was written before Sift recorded the weights it scored with";
        if (f.ValueKind == JsonValueKind.String && f.GetString() == fingerprint) return null;
        var changed = weights.ChangedSince(new ScoredWeights(Strings(models), Strings(ids)));
        if (changed != null) return $"its rows were scored with other weights of {changed}";
        throw new SiftException($"{Path}: this partial file belongs to a different scoring job (other data, models or settings); " +
                                "delete it to start over, or rerun with the settings that wrote it");
    }

    private static List<string> Strings(JsonElement array) =>
        array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : "").ToList() : [];

    private static JsonDocument? Parse(string line)
    {
        try { return JsonDocument.Parse(line); }
        catch (JsonException) { return null; }
    }

    private static void WriteLine(Stream stream, Action<Utf8JsonWriter> body)
    {
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }

    public void Dispose() => _stream.Dispose();
}

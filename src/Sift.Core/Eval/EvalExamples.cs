using System.Text.Json;

namespace Sift.Eval;

/// <summary>Reads one per-example outcome (exact match, loss) from `sift eval`'s eval_examples.jsonl, by example id.</summary>
public static class EvalExamples
{
    /// <summary>Outcomes of generation and scoring that a comparison can pair across models.</summary>
    public static readonly IReadOnlyList<(string Field, string Label, bool HigherIsBetter)> Outcomes =
        [("match", "exact match", true), ("loss", "response loss", false)];

    /// <summary>The field's value per example id (true/false read as 1/0); null when no row has the field.</summary>
    public static Dictionary<string, double>? Read(string path, string field)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var row = doc.RootElement;
                var id = row.GetProperty("id").GetString() ?? throw new SiftException($"{path}:{line}: 'id' is null; rerun `sift eval`");
                if (!row.TryGetProperty(field, out var v)) continue;
                values[id] = v.ValueKind switch
                {
                    JsonValueKind.True => 1,
                    JsonValueKind.False => 0,
                    JsonValueKind.Number => v.GetDouble(),
                    _ => throw new SiftException($"{path}:{line}: '{field}' is {v.ValueKind}, expected a number or true/false; rerun `sift eval`"),
                };
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new SiftException($"{path}:{line}: not an eval row ({e.Message}); rerun `sift eval`", e);
            }
        }
        return values.Count > 0 ? values : null;
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Data;
using Sift.IO;
using Sift.Scoring;

namespace Sift.Eval;

/// <summary>One score column as a detector of the labelled (e.g. noisy) examples.</summary>
/// <param name="Orientation">The end of the score its method flags, declared before seeing labels (<see cref="ScoreColumns.Orientation"/>): +1 high, −1 low.</param>
/// <param name="Excluded">Rows whose score is NaN, left out of the AUROC.</param>
/// <param name="WithinAuroc">With strata (e.g. the task or source of each example): the AUROC over positive–negative pairs of the
/// same stratum only, so that strata whose scores sit at different levels do not count against the score; NaN without strata.</param>
public sealed record DetectionResult(string Column, double Auroc, int Orientation, int Positives, int Negatives, int Excluded, double WithinAuroc = double.NaN)
{
    public string OrientationText => Orientation > 0 ? "high = positive" : "low = positive";
}

/// <summary>
/// Noise-detection AUROC of score columns: the score table's rows joined by example id with a
/// boolean label field of a data file (the file the scores were computed on, with e.g. "noisy": true
/// on the corrupted examples). Every scored id must have a label.
/// </summary>
public static class NoiseDetection
{
    public const string FileName = "auroc.jsonl";

    /// <summary>Each example's label: true/false, 1/0, or the strings "true"/"false"/"1"/"0".</summary>
    public static Dictionary<string, bool> ReadLabels(string path, DatasetOptions read, string field)
    {
        var labels = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var c in DatasetReader.Read(path, read with { KeepFields = [field] }))
        {
            if (!c.Fields.TryGetValue(field, out var value))
                throw new SiftException($"{c.Source}: example '{c.Id}' has no field '{field}'; every example needs the label (true/false), or name another field with --label-field");
            labels[c.Id] = Label(value) ?? throw new SiftException(
                $"{c.Source}: field '{field}' is {value.GetRawText()}; a label must be true/false, 1/0 or \"true\"/\"false\"");
        }
        if (labels.Count == 0) throw new SiftException($"{path}: no examples");
        return labels;
    }

    private static bool? Label(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when value.TryGetDouble(out var d) && d is 0 or 1 => d == 1,
        JsonValueKind.String => value.GetString()!.Trim().ToLowerInvariant() switch { "true" or "1" => true, "false" or "0" => false, _ => null },
        _ => null,
    };

    /// <param name="columns">Score columns to test; null: every score column of the table (those `sift score plot` plots).</param>
    /// <param name="orientations">Orientations of columns Sift does not know (or overrides), +1 high flags, −1 low flags.</param>
    /// <param name="strata">Each example's stratum (see <see cref="ReadStrata"/>); null: no within-stratum AUROC.</param>
    public static List<DetectionResult> Compute(ScoreTable table, string tableSource, IReadOnlyDictionary<string, bool> labels, string labelsSource,
        IReadOnlyList<string>? columns, IReadOnlyDictionary<string, int>? orientations = null, IReadOnlyDictionary<string, string>? strata = null)
    {
        var chosen = columns is { Count: > 0 } ? columns : ScoreColumns.Numeric.Where(table.Has).ToList();
        if (chosen.Count == 0)
            throw new SiftException($"{tableSource}: no score columns found (the table has {string.Join(", ", table.Columns.Select(c => c.Name))}); name them with --columns a,b");
        var missing = table.Ids.Where(id => !labels.ContainsKey(id)).ToList();
        if (missing.Count > 0)
            throw new SiftException($"{labelsSource}: no label for {missing.Count} of the {table.RowCount} example ids in {tableSource} (first: {string.Join(", ", missing.Take(3))}); " +
                                    "the labels must come from the data file that was scored, so that the example ids match");
        var isPositive = table.Ids.Select(id => labels[id]).ToArray();
        var results = new List<DetectionResult>();
        foreach (var column in chosen)
        {
            var scores = table.Numbers(column, tableSource);
            var orientation = orientations?.GetValueOrDefault(column) is int given and not 0 ? given
                : ScoreColumns.Orientation(column) ?? throw new SiftException(
                    $"{tableSource}: column '{column}' has no declared orientation; say which end flags a doubtful example with --orientation {column}=high (or =low)");
            var auroc = Auroc.Compute(scores, isPositive, orientation);
            int positives = 0, negatives = 0, excluded = 0;
            for (int r = 0; r < scores.Length; r++)
            {
                if (double.IsNaN(scores[r])) excluded++;
                else if (isPositive[r]) positives++;
                else negatives++;
            }
            if (positives == 0 || negatives == 0)
                throw new SiftException($"{labelsSource}: the scored examples of '{column}' have {positives} positive and {negatives} negative labels; AUROC needs both");
            var within = strata == null ? double.NaN : WithinStrata(scores, isPositive, table.Ids.Select(id => strata[id]).ToArray(), orientation);
            results.Add(new DetectionResult(column, auroc, orientation, positives, negatives, excluded, within));
        }
        return results;
    }

    /// <summary>AUROC over same-stratum pairs: each stratum's AUROC weighted by its positive × negative pair count.</summary>
    private static double WithinStrata(double[] scores, bool[] isPositive, string[] strata, int orientation)
    {
        double weighted = 0, pairs = 0;
        foreach (var group in Enumerable.Range(0, scores.Length).Where(i => !double.IsNaN(scores[i])).GroupBy(i => strata[i]))
        {
            var rows = group.ToArray();
            long p = rows.Count(i => isPositive[i]), n = rows.Length - p;
            if (p == 0 || n == 0) continue;
            weighted += Auroc.Compute(rows.Select(i => scores[i]).ToArray(), rows.Select(i => isPositive[i]).ToArray(), orientation) * p * n;
            pairs += (double)p * n;
        }
        return pairs > 0 ? weighted / pairs : double.NaN;
    }

    /// <summary>Each example's value of a field (e.g. task or source), as text.</summary>
    public static Dictionary<string, string> ReadStrata(string path, DatasetOptions read, string field)
    {
        var strata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in DatasetReader.Read(path, read with { KeepFields = [field] }))
            strata[c.Id] = c.Fields.TryGetValue(field, out var v)
                ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()
                : throw new SiftException($"{c.Source}: example '{c.Id}' has no field '{field}' to stratify by; every example needs it");
        return strata;
    }

    public static void Write(string path, IReadOnlyList<DetectionResult> results) =>
        AtomicFile.WriteAllText(path, string.Concat(results.Select(r => new JsonObject
        {
            ["column"] = r.Column, ["auroc"] = r.Auroc, ["orientation"] = r.OrientationText, ["positives"] = r.Positives,
            ["negatives"] = r.Negatives, ["excluded_nan"] = r.Excluded, ["auroc_within_strata"] = double.IsNaN(r.WithinAuroc) ? null : r.WithinAuroc,
        }.ToJsonString() + "\n")));

    public static List<DetectionResult> Read(string path)
    {
        var results = new List<DetectionResult>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var source = $"{path}:{line}";
            JsonObject o;
            try
            {
                o = JsonNode.Parse(text) as JsonObject ?? throw new SiftException($"{source}: expected a JSON object; rerun `sift eval auroc`");
            }
            catch (JsonException e)
            {
                throw new SiftException($"{source}: malformed JSON ({e.Message}); rerun `sift eval auroc`", e);
            }
            results.Add(new DetectionResult(Field<string>(o, "column", source), Field<double>(o, "auroc", source),
                Field<string>(o, "orientation", source) == "low = positive" ? -1 : 1,
                Field<int>(o, "positives", source), Field<int>(o, "negatives", source), Field<int>(o, "excluded_nan", source),
                o["auroc_within_strata"] is JsonValue w && w.TryGetValue<double>(out var within) ? within : double.NaN));
        }
        return results;
    }

    private static T Field<T>(JsonObject o, string name, string source) =>
        o[name] is JsonValue v && v.TryGetValue<T>(out var value) ? value
            : throw new SiftException($"{source}: field '{name}' is missing or not a {typeof(T).Name}; rerun `sift eval auroc`");

    /// <summary>Parses "col=high,col2=low" (the --orientation option).</summary>
    public static Dictionary<string, int> ParseOrientations(string? text)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=', 2, StringSplitOptions.TrimEntries);
            result[parts[0]] = parts is [_, "high"] ? +1 : parts is [_, "low"] ? -1
                : throw new SiftException($"--orientation: '{item}' must be COLUMN=high or COLUMN=low (the end of the score that flags a doubtful example)");
        }
        return result;
    }

    public static string Format(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}

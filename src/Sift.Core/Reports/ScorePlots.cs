using Sift.IO;
using Sift.Scoring;

namespace Sift.Reports;

/// <summary>
/// PNG plots of a score table: a histogram of every score column it has (finite values) and,
/// when it has Cartography statistics, the data map: confidence against variability, colored by
/// correctness as a share of the C checkpoints (five bands).
/// </summary>
public static class ScorePlots
{
    public static List<string> Write(ScoreTable table, string source, string outDir)
    {
        var written = new List<string>();
        foreach (var plot in Render(table, source))
        {
            var path = Path.Combine(outDir, plot.Name + ".png");
            AtomicFile.WriteAllBytes(path, plot.Png);
            written.Add(path);
        }
        return written;
    }

    /// <summary>The plots as PNG bytes, named hist_COLUMN and data_map.</summary>
    /// <param name="labels">Each example's label (e.g. noisy), when known: the data map is colored by it instead of by correctness.</param>
    public static List<(string Name, string Title, byte[] Png)> Render(ScoreTable table, string source, IReadOnlyDictionary<string, bool>? labels = null, string labelName = "labelled")
    {
        var plots = new List<(string Name, string Title, byte[] Png)>();
        foreach (var column in ScoreColumns.Numeric.Where(table.Has))
        {
            var values = table.Numbers(column, source);
            var title = $"{column} ({values.Count(double.IsFinite)} examples)";
            var groups = labels == null ? new Dictionary<string, double[]> { [column] = values }
                : new Dictionary<string, double[]>
                {
                    [$"not {labelName}"] = values.Where((_, r) => labels.TryGetValue(table.Ids[r], out var l) && !l).ToArray(),
                    [labelName] = values.Where((_, r) => labels.TryGetValue(table.Ids[r], out var l) && l).ToArray(),
                };
            plots.Add(($"hist_{column}", title, Charts.Histogram(title, column, groups)));
        }
        if (table.Has("confidence") && table.Has("variability") && table.Has("correctness") && table.Has("epochs"))
            plots.Add(("data_map", labels != null ? $"Data map: confidence vs variability, colored by {labelName}" : "Data map: confidence vs variability, colored by correctness",
                DataMap(table, source, labels, labelName)));
        if (plots.Count == 0)
            throw new SiftException($"{source}: no score columns to plot (looked for {string.Join(", ", ScoreColumns.Numeric)})");
        return plots;
    }

    private static byte[] DataMap(ScoreTable table, string source, IReadOnlyDictionary<string, bool>? labels, string labelName)
    {
        var confidence = table.Numbers("confidence", source);
        var variability = table.Numbers("variability", source);
        var correctness = table.Numbers("correctness", source);
        var epochs = table.Numbers("epochs", source);
        var groups = new SortedDictionary<string, (List<double> X, List<double> Y)>(StringComparer.Ordinal);
        for (int r = 0; r < table.RowCount; r++)
        {
            if (!double.IsFinite(confidence[r]) || !double.IsFinite(variability[r]) || !double.IsFinite(correctness[r])) continue;
            // Correctness in the histogram's units (0..C, the sum over C checkpoints), in five bands of C/5.
            double c = epochs[r], fifth = c / 5;
            int band = Math.Min(4, (int)(correctness[r] / fifth));
            var name = labels != null
                ? labels.TryGetValue(table.Ids[r], out var positive) ? positive ? labelName : $"not {labelName}" : "no label"
                : $"correctness {band * fifth:0.#}–{(band + 1) * fifth:0.#} of {c:0}";
            if (!groups.TryGetValue(name, out var g)) groups[name] = g = ([], []);
            g.X.Add(variability[r]);
            g.Y.Add(confidence[r]);
        }
        return Charts.Scatter("Data map", "variability", "confidence",
            groups.ToDictionary(kv => kv.Key, kv => (kv.Value.X.ToArray(), kv.Value.Y.ToArray())));
    }
}

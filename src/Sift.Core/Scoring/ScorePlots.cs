using Sift.IO;
using Sift.Reports;

namespace Sift.Scoring;

/// <summary>
/// PNG plots of a score table: a histogram of every score column it has (finite values) and,
/// when it has Cartography statistics, the data map: confidence against variability, colored by
/// correctness as a share of the C checkpoints (five bands).
/// </summary>
public static class ScorePlots
{
    public static readonly string[] HistogramColumns =
    [
        "loss", "perplexity", "accuracy", "direct_loss", "ifd_loss_ratio", "ifd_ppl_ratio", "L_base", "L_ref", "S", "S_diff",
        "S_ref_denominator", "sftmix_confidence", "mean_loss_confidence", "confidence", "variability", "correctness", "random",
    ];

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
    public static List<(string Name, string Title, byte[] Png)> Render(ScoreTable table, string source)
    {
        var plots = new List<(string Name, string Title, byte[] Png)>();
        foreach (var column in HistogramColumns.Where(table.Has))
        {
            var values = table.Numbers(column, source);
            var title = $"{column} ({values.Count(double.IsFinite)} examples)";
            plots.Add(($"hist_{column}", title, Charts.Histogram(title, column, new Dictionary<string, double[]> { [column] = values })));
        }
        if (table.Has("confidence") && table.Has("variability") && table.Has("correctness") && table.Has("epochs"))
            plots.Add(("data_map", "Data map: confidence vs variability, colored by correctness", DataMap(table, source)));
        if (plots.Count == 0)
            throw new SiftException($"{source}: no score columns to plot (looked for {string.Join(", ", HistogramColumns)})");
        return plots;
    }

    private static byte[] DataMap(ScoreTable table, string source)
    {
        var confidence = table.Numbers("confidence", source);
        var variability = table.Numbers("variability", source);
        var correctness = table.Numbers("correctness", source);
        var epochs = table.Numbers("epochs", source);
        var groups = new SortedDictionary<string, (List<double> X, List<double> Y)>(StringComparer.Ordinal);
        for (int r = 0; r < table.RowCount; r++)
        {
            if (!double.IsFinite(confidence[r]) || !double.IsFinite(variability[r]) || !double.IsFinite(correctness[r])) continue;
            double share = correctness[r] / epochs[r];
            int band = Math.Min(4, (int)(share * 5));
            var name = $"correctness {band * 0.2:F1}-{(band + 1) * 0.2:F1}";
            if (!groups.TryGetValue(name, out var g)) groups[name] = g = ([], []);
            g.X.Add(variability[r]);
            g.Y.Add(confidence[r]);
        }
        return Charts.Scatter("Data map", "variability", "confidence",
            groups.ToDictionary(kv => kv.Key, kv => (kv.Value.X.ToArray(), kv.Value.Y.ToArray())));
    }
}

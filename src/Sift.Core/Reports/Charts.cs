using ScottPlot;

namespace Sift.Reports;

/// <summary>A named series of (x, y) points, e.g. one run's loss curve.</summary>
/// <param name="Group">Series of one group (a method) share a colour; null: the series is its own group.</param>
/// <param name="Variant">Tells series of a group apart (a seed) by line style.</param>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, string? Group = null, int Variant = 0);

/// <summary>The report's plots as PNG bytes (ScottPlot, headless).</summary>
public static class Charts
{
    public const int Width = 720, Height = 420;

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    /// <summary>
    /// Line plot: one colour per group, one line style per variant (up to 20 groups and 4 styles), the legend
    /// beside the plot rather than over the lines. With <paramref name="fromZero"/> and no negative values
    /// (a loss), the y axis starts at 0.
    /// </summary>
    public static byte[] Lines(string title, string xLabel, string yLabel, IEnumerable<Series> series, bool fromZero = false)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category20();
        var groups = new List<string>();
        double top = double.NegativeInfinity, bottom = double.PositiveInfinity;
        int count = 0;
        foreach (var s in series)
        {
            count++;
            var group = s.Group ?? s.Name;
            if (!groups.Contains(group)) groups.Add(group);
            var line = plot.Add.Scatter(s.X.ToArray(), s.Y.ToArray());
            line.LegendText = s.Name;
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.Color = palette.GetColor(groups.IndexOf(group));
            line.LinePattern = Patterns[s.Variant % Patterns.Length];
            foreach (var y in s.Y.Where(double.IsFinite)) (top, bottom) = (Math.Max(top, y), Math.Min(bottom, y));
        }
        if (fromZero && bottom >= 0 && top > 0) plot.Axes.SetLimitsY(0, top * 1.05);
        return Finish(plot, legend: true, entries: count);
    }

    /// <summary>
    /// Histogram of finite values in <paramref name="bins"/> equal bins, optionally split into labelled
    /// groups. The bins span <see cref="BinRange"/>: a few extreme values would otherwise squeeze
    /// everything else into one bin; values beyond it are counted in the end bins, and the title says how many.
    /// </summary>
    public static byte[] Histogram(string title, string xLabel, IReadOnlyDictionary<string, double[]> groups, int bins = 40)
    {
        var all = groups.Values.SelectMany(v => v).Where(double.IsFinite).ToArray();
        var (min, max, outside) = BinRange(all);
        var plot = NewPlot(outside > 0 ? $"{title}; {outside} outliers in the end bins" : title, xLabel, "examples");
        if (all.Length > 0)
        {
            double width = (max - min) / bins;
            var palette = new ScottPlot.Palettes.Category10();
            int index = 0;
            foreach (var (name, values) in groups)
            {
                var color = palette.GetColor(index++).WithAlpha(0.55);
                var counts = new double[bins];
                foreach (var v in values.Where(double.IsFinite)) counts[Math.Clamp((int)((v - min) / width), 0, bins - 1)]++;
                var positions = Enumerable.Range(0, bins).Select(i => min + (i + 0.5) * width).ToArray();
                var bars = plot.Add.Bars(positions, counts);
                if (groups.Count > 1) bars.LegendText = name;
                foreach (var bar in bars.Bars) { bar.Size = width; bar.LineWidth = 0; bar.FillColor = color; }
            }
        }
        return Finish(plot, legend: groups.Count > 1);
    }

    /// <summary>
    /// The span of a histogram's bins: the range of the values, narrowed to Tukey's far-out fences
    /// [Q1 − 3·IQR, Q3 + 3·IQR] (nearest-rank quartiles) when values lie beyond them, with the number
    /// of such values. Heavy-tailed scores (perplexity-like) keep their bulk readable this way.
    /// </summary>
    public static (double Min, double Max, int Outside) BinRange(IReadOnlyList<double> finiteValues)
    {
        if (finiteValues.Count == 0) return (0, 1, 0);
        var sorted = finiteValues.Order().ToArray();
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        double q1 = Rank(0.25), q3 = Rank(0.75), iqr = q3 - q1;
        double min = sorted[0], max = sorted[^1];
        if (iqr > 0)
        {
            min = Math.Max(min, q1 - 3 * iqr);
            max = Math.Min(max, q3 + 3 * iqr);
        }
        int outside = sorted.Count(v => v < min || v > max);
        return max == min ? (min, min + 1, outside) : (min, max, outside);
    }

    /// <summary>Scatter of points in labelled groups (the data map: confidence vs variability, grouped by correctness or noise).</summary>
    public static byte[] Scatter(string title, string xLabel, string yLabel, IReadOnlyDictionary<string, (double[] X, double[] Y)> groups)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        foreach (var (name, (x, y)) in groups)
        {
            var points = plot.Add.ScatterPoints(x, y);
            points.LegendText = name;
            points.MarkerSize = 4;
        }
        return Finish(plot, legend: groups.Count > 1);
    }

    /// <summary>The PNG, with the legend (when there is one) beside the plot, never over the data.</summary>
    /// <param name="entries">Legend entries: the image grows taller so that they fit in one column.</param>
    private static byte[] Finish(Plot plot, bool legend, int entries = 0)
    {
        if (!legend) return plot.GetImageBytes(Width, Height, ImageFormat.Png);
        plot.ShowLegend(Edge.Right);
        return plot.GetImageBytes(Width + 180, Math.Max(Height, 22 * entries + 60), ImageFormat.Png);
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }
}

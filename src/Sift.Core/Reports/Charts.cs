using ScottPlot;

namespace Sift.Reports;

/// <summary>A named series of (x, y) points, e.g. one run's loss curve.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>The report's plots as PNG bytes (ScottPlot, headless).</summary>
public static class Charts
{
    public const int Width = 720, Height = 420;

    public static byte[] Lines(string title, string xLabel, string yLabel, IEnumerable<Series> series)
    {
        var plot = NewPlot(title, xLabel, yLabel);
        foreach (var s in series)
        {
            var line = plot.Add.Scatter(s.X.ToArray(), s.Y.ToArray());
            line.LegendText = s.Name;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Histogram of finite values in <paramref name="bins"/> equal bins, optionally split into labelled groups.</summary>
    public static byte[] Histogram(string title, string xLabel, IReadOnlyDictionary<string, double[]> groups, int bins = 40)
    {
        var plot = NewPlot(title, xLabel, "examples");
        var all = groups.Values.SelectMany(v => v).Where(double.IsFinite).ToArray();
        if (all.Length > 0)
        {
            double min = all.Min(), max = all.Max();
            if (max == min) max = min + 1;
            double width = (max - min) / bins;
            var palette = new ScottPlot.Palettes.Category10();
            int index = 0;
            foreach (var (name, values) in groups)
            {
                var color = palette.GetColor(index++).WithAlpha(0.55);
                var counts = new double[bins];
                foreach (var v in values.Where(double.IsFinite)) counts[Math.Min(bins - 1, (int)((v - min) / width))]++;
                var positions = Enumerable.Range(0, bins).Select(i => min + (i + 0.5) * width).ToArray();
                var bars = plot.Add.Bars(positions, counts);
                bars.LegendText = name;
                foreach (var bar in bars.Bars) { bar.Size = width; bar.LineWidth = 0; bar.FillColor = color; }
            }
        }
        if (groups.Count > 1) plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
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
        if (groups.Count > 1) plot.ShowLegend(Alignment.UpperRight);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
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

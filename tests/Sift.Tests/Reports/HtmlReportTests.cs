using Sift.Reports;

namespace Sift.Tests.Reports;

public class HtmlReportTests
{
    private static bool IsPng(byte[] bytes) => bytes.Length > 1000 && bytes[..8].SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });

    [Fact]
    public void ChartsRenderHeadlessPngs()
    {
        Assert.True(IsPng(Charts.Lines("loss", "step", "loss", [new Series("ntp", [0, 1, 2], [3, 2, 1.5]), new Series("sftmix", [0, 1, 2], [3, 1.9, 1.4])])));
        Assert.True(IsPng(Charts.Histogram("scores", "score", new Dictionary<string, double[]> { ["clean"] = [0.1, 0.2, 0.25], ["noisy"] = [0.8, double.NaN, 0.9] })));
        Assert.True(IsPng(Charts.Scatter("data map", "variability", "confidence", new Dictionary<string, (double[], double[])> { ["all"] = ([0.1, 0.2], [0.5, 0.7]) })));
    }

    [Fact]
    public void SavesOneSelfContainedFileAndThePngsBesideIt()
    {
        var dir = Paths.NewTempDir();
        var png = Charts.Lines("loss", "step", "loss", [new Series("a", [0, 1], [1, 0])]);
        new HtmlReport("Run <1>")
            .Heading("Results").Paragraph("a & b")
            .Table(["run", "loss"], [["ntp", "1.23"]])
            .Image("loss", png, "Loss curves")
            .Save(Path.Combine(dir, "report.html"));
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("<title>Run &lt;1&gt;</title>", html);
        Assert.Contains("a &amp; b", html);
        Assert.Contains("<td>1.23</td>", html);
        Assert.Contains("data:image/png;base64," + Convert.ToBase64String(png), html);
        Assert.Equal(png, File.ReadAllBytes(Path.Combine(dir, "loss.png")));
    }

    [Fact]
    public void HistogramBinsLeaveFarOutValuesToTheEndBins()
    {
        // Ten values: nearest-rank Q1 = 3rd = 2, Q3 = 8th = 7, IQR 5, fences [-13, 22]; -500 and 90 lie beyond them.
        Assert.Equal((-13.0, 22.0, 2), Charts.BinRange([1, 2, 3, 4, 5, 6, 7, 8, -500, 90]));
        Assert.Equal((1.0, 8.0, 0), Charts.BinRange([1, 2, 3, 4, 5, 6, 7, 8]));
        Assert.Equal((3.0, 4.0, 0), Charts.BinRange([3, 3, 3]));
    }
}

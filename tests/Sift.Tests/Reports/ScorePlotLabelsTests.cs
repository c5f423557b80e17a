using Sift.Reports;
using Sift.Scoring;

namespace Sift.Tests.Reports;

public class ScorePlotLabelsTests
{
    private static ScoreTable Table() => new(
    [
        new ScoreColumn("id", new[] { "a", "b", "c", "d" }),
        new ScoreColumn("confidence", new[] { 0.9, 0.8, 0.2, 0.1 }),
        new ScoreColumn("variability", new[] { 0.1, 0.2, 0.1, 0.05 }),
        new ScoreColumn("correctness", new[] { 6.0, 5.0, 1.0, 0.0 }),
        new ScoreColumn("epochs", new[] { 6.0, 6.0, 6.0, 6.0 }),
    ]);

    private static bool IsPng(byte[] b) => b.Length > 8 && b[0] == 0x89 && b[1] == (byte)'P' && b[2] == (byte)'N' && b[3] == (byte)'G';

    [Fact]
    public void WithLabelsTheDataMapIsColoredByThemAndAnUnlabelledIdIsNoError()
    {
        var labels = new Dictionary<string, bool> { ["a"] = false, ["b"] = false, ["c"] = true };
        var plots = ScorePlots.Render(Table(), "t.jsonl", labels, "noisy");
        var map = plots.Single(p => p.Name == "data_map");
        Assert.Equal("Data map: confidence vs variability, colored by noisy", map.Title);
        Assert.True(IsPng(map.Png));
        Assert.All(plots, p => Assert.True(IsPng(p.Png), p.Name));
        var plain = ScorePlots.Render(Table(), "t.jsonl").Single(p => p.Name == "data_map");
        Assert.Equal("Data map: confidence vs variability, colored by correctness", plain.Title);
        Assert.NotEqual(plain.Png, map.Png);
    }
}

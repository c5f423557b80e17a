using Sift.Pipeline;

namespace Sift.Tests.Pipeline;

/// <summary>The pipeline's progress line and time left, on a fake clock; every expected estimate is worked out by hand in the comments.</summary>
public class PipelineProgressTests
{
    private double _now;

    private PipelineProgress Create(params string[] kinds) => new(kinds, () => TimeSpan.FromSeconds(_now));

    private void At(double seconds) => _now = seconds;

    [Fact]
    public void TheEstimateUsesEachGroupsMeanAndTheOverallMeanForGroupsNotYetRun()
    {
        var p = Create("pretrain", "train", "train", "score", "eval", "eval", "select");

        // Nothing has finished: no estimate.
        Assert.Equal("[1/7] base (pretrain) · 0:00 elapsed", p.Starting("base", "pretrain"));
        At(100);
        p.Finished();
        p.Cached("train"); // stage 2: counted, no time, not in any mean

        // train mean 100 s and overall mean 100 s; to do: 1 train + 1 score + 2 eval + 1 other = 5 × 100 s = 8:20.
        At(101);
        Assert.Equal("[3/7] ntp (train) · 1:41 elapsed · about 8:20 left", p.Starting("ntp", "train"));
        At(161);
        p.Finished();

        // train mean (100 + 60) / 2 = 80 s, also the overall mean; to do: 1 score + 2 eval + 1 other = 4 × 80 s = 5:20.
        Assert.Equal("[4/7] scores (score) · 2:41 elapsed · about 5:20 left", p.Starting("scores", "score"));
        At(171);
        p.Finished();

        // overall mean 170 / 3 s; to do: 2 eval + 1 other, none of their groups run yet: 3 × 170 / 3 = 170 s = 2:50.
        Assert.Equal("[5/7] eval-a (eval) · 2:51 elapsed · about 2:50 left", p.Starting("eval-a", "eval"));
        At(175);
        p.Finished();

        // eval mean 4 s, overall mean 174 / 4 = 43.5 s; to do: 1 eval + 1 other = 4 + 43.5 = 47.5 s, rounded to 0:48.
        Assert.Equal("[6/7] eval-b (eval) · 2:55 elapsed · about 0:48 left", p.Starting("eval-b", "eval"));
        At(180);
        p.Finished();

        // overall mean 179 / 5 = 35.8 s for the one "other" stage: 0:36.
        Assert.Equal("[7/7] select (select) · 3:00 elapsed · about 0:36 left", p.Starting("select", "select"));
        At(181.5);
        p.Finished();

        Assert.Equal("train 160.0 s (2 stages), score 10.0 s (1), eval 9.0 s (2), other 1.5 s (1)", p.TimeByKind());
    }

    [Fact]
    public void CachedStagesAdvanceTheCountButNotTheEstimate()
    {
        var p = Create("data", "train", "train", "eval");
        p.Cached("data");
        Assert.Equal("[2/4] a (train) · 0:00 elapsed", p.Starting("a", "train"));
        At(30);
        p.Finished();
        p.Cached("train");
        // train mean 30 s; the one eval stage left takes the overall mean, 30 s.
        Assert.Equal("[4/4] e (eval) · 0:30 elapsed · about 0:30 left", p.Starting("e", "eval"));
        At(32);
        p.Finished();
        Assert.Equal("train 30.0 s (1 stage), eval 2.0 s (1)", p.TimeByKind());
    }

    [Fact]
    public void NothingRunNothingToReport()
    {
        var p = Create("train", "eval");
        p.Cached("train");
        p.Cached("eval");
        Assert.Equal("", p.TimeByKind());
    }

    [Theory]
    [InlineData(0, "0:00")]
    [InlineData(41.4, "0:41")]
    [InlineData(59.5, "1:00")]
    [InlineData(725, "12:05")]
    [InlineData(3725, "1:02:05")]
    [InlineData(36000, "10:00:00")]
    public void ClockShowsWholeSeconds(double seconds, string text) => Assert.Equal(text, PipelineProgress.Clock(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("train", "train")]
    [InlineData("pretrain", "train")]
    [InlineData("score", "score")]
    [InlineData("eval", "eval")]
    [InlineData("select", "other")]
    [InlineData("report", "other")]
    public void KindsFallIntoFourGroups(string kind, string group) => Assert.Equal(group, PipelineProgress.GroupOf(kind));
}

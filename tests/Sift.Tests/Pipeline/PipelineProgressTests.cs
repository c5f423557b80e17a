using Sift.Pipeline;

namespace Sift.Tests.Pipeline;

/// <summary>The pipeline's progress line and time left, on a fake clock; every expected estimate is worked out by hand in the comments.</summary>
public class PipelineProgressTests
{
    private double _now;

    private PipelineProgress Create(params string[] kinds) => new(kinds, () => TimeSpan.FromSeconds(_now));

    private void At(double seconds) => _now = seconds;

    [Fact]
    public void TheEstimateUsesEachGroupsMeanAndCountsTheStagesOfGroupsNotYetTimed()
    {
        var p = Create("pretrain", "train", "train", "score", "eval", "eval", "select");

        // Nothing has finished: no estimate.
        Assert.Equal("[1/7] base (pretrain) · 0:00 elapsed", p.Starting("base", "pretrain"));
        At(100);
        p.Finished();
        p.Cached("train"); // stage 2: counted, no time, not in any mean

        // pretrain is timed but has nothing left; to do: 1 train + 1 score + 2 eval + 1 other, none timed.
        At(101);
        Assert.Equal("[3/7] ntp (train) · 1:41 elapsed · 5 stages not yet timed", p.Starting("ntp", "train"));
        At(161);
        p.Finished();

        // train mean 60 s, no train stage left; to do: 1 score + 2 eval + 1 other, none timed.
        Assert.Equal("[4/7] scores (score) · 2:41 elapsed · 4 stages not yet timed", p.Starting("scores", "score"));
        At(171);
        p.Finished();

        Assert.Equal("[5/7] eval-a (eval) · 2:51 elapsed · 3 stages not yet timed", p.Starting("eval-a", "eval"));
        At(175);
        p.Finished();

        // eval mean 4 s × 1 eval stage = 0:04; the "other" stage not yet timed.
        Assert.Equal("[6/7] eval-b (eval) · 2:55 elapsed · about 0:04 left + 1 stage not yet timed", p.Starting("eval-b", "eval"));
        At(180);
        p.Finished();

        Assert.Equal("[7/7] select (select) · 3:00 elapsed · 1 stage not yet timed", p.Starting("select", "select"));
        At(181.5);
        p.Finished();

        Assert.Equal("pretrain 100.0 s (1 stage), train 60.0 s (1), score 10.0 s (1), eval 9.0 s (2), other 1.5 s (1)", p.TimeByKind());
    }

    [Fact]
    public void OnceEveryGroupLeftIsTimedTheEstimateIsTheirMeansTimesTheirStages()
    {
        var p = Create("train", "train", "train", "eval", "eval");
        Assert.Equal("[1/5] a (train) · 0:00 elapsed", p.Starting("a", "train"));
        At(10);
        p.Finished();
        // train mean 10 s × 2 = 0:20, and 2 eval stages not yet timed.
        Assert.Equal("[2/5] b (train) · 0:10 elapsed · about 0:20 left + 2 stages not yet timed", p.Starting("b", "train"));
        At(30);
        p.Finished();
        Assert.Equal("[3/5] c (train) · 0:30 elapsed · about 0:15 left + 2 stages not yet timed", p.Starting("c", "train")); // mean 15 s × 1
        At(45);
        p.Finished();
        Assert.Equal("[4/5] e1 (eval) · 0:45 elapsed · 2 stages not yet timed", p.Starting("e1", "eval"));
        At(48);
        p.Finished();
        Assert.Equal("[5/5] e2 (eval) · 0:48 elapsed · about 0:03 left", p.Starting("e2", "eval")); // eval mean 3 s × 1
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
        // train is timed but has nothing left; the eval stage is not yet timed.
        Assert.Equal("[4/4] e (eval) · 0:30 elapsed · 1 stage not yet timed", p.Starting("e", "eval"));
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
    [InlineData("pretrain", "pretrain")]
    [InlineData("score", "score")]
    [InlineData("eval", "eval")]
    [InlineData("select", "other")]
    [InlineData("report", "other")]
    public void KindsFallIntoFiveGroups(string kind, string group) => Assert.Equal(group, PipelineProgress.GroupOf(kind));
}

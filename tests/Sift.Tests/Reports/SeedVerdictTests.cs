using System.Globalization;
using Sift.Reports;

namespace Sift.Tests.Reports;

public class SeedVerdictTests
{
    private static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

    private static SeedVerdict Verdict(double[] method, double[] baseline, bool higherIsBetter = false) =>
        new("sftmix", "ntp", "eval loss", SeedStat.Of(method), SeedStat.Of(baseline), higherIsBetter);

    [Fact]
    public void SampleStandardDeviation()
    {
        var s = SeedStat.Of([2.0, 2.1, 2.3]);
        Assert.Equal(2.1333333333333333, s.Mean, 12);
        Assert.Equal(Math.Sqrt((0.0177777777777 + 0.0011111111111 + 0.0277777777777) / 2), s.Std, 9);
        Assert.True(double.IsNaN(SeedStat.Of([1.0]).Std));
    }

    [Fact]
    public void BetterWhenTheImprovementExceedsTheSumOfTheSeedSpreads()
    {
        // Means 2.1 vs 2.5, stds 0.1 and 0.1: better by 0.4 > 0.2.
        var v = Verdict([2.0, 2.1, 2.2], [2.4, 2.5, 2.6]);
        Assert.Equal(0.4, v.Improvement, 12);
        Assert.Equal(0.2, v.Spread, 12);
        Assert.Equal("better", v.Word);
        Assert.Equal("sftmix vs ntp on eval loss: 2.10 ± 0.10 vs 2.50 ± 0.10 (3 vs 3 seeds); better by 0.40, more than the spread 0.20: better.", v.Sentence(F));
    }

    [Fact]
    public void WorseBeyondTheSpreadAndInconclusiveWithinItOrWithOneSeed()
    {
        // Means 2.3 vs 2.5, stds 0.2 and 0.1: better by 0.2, within 0.3.
        var within = Verdict([2.1, 2.3, 2.5], [2.4, 2.5, 2.6]);
        Assert.EndsWith("better by 0.20, within the spread 0.30: inconclusive.", within.Sentence(F));

        // Worse by 0.6 with a spread of 0.2: a clear loss is said as one, not as "not confirmed".
        var worse = Verdict([3.0, 3.1, 3.2], [2.4, 2.5, 2.6]);
        Assert.Equal("worse", worse.Word);
        Assert.EndsWith("worse by 0.60, more than the spread 0.20: worse.", worse.Sentence(F));

        var slightlyWorse = Verdict([2.5, 2.6, 2.7], [2.4, 2.5, 2.6]);
        Assert.EndsWith("worse by 0.10, within the spread 0.20: inconclusive.", slightlyWorse.Sentence(F));

        var single = Verdict([1.0], [2.4, 2.5, 2.6]);
        Assert.Equal("sftmix vs ntp on eval loss: 1.00 ± n/a vs 2.50 ± 0.10 (1 vs 3 seeds); better by 1.50, " +
                     "fewer than 2 seeds on a side, so there is no spread to compare against: inconclusive.", single.Sentence(F));
    }

    [Fact]
    public void HigherIsBetterTurnsTheDirection()
    {
        // Exact match 0.50 vs 0.30 (stds 0.02, 0.02): better by 0.20.
        Assert.Equal("better", Verdict([0.48, 0.50, 0.52], [0.28, 0.30, 0.32], higherIsBetter: true).Word);
        Assert.Equal("worse", Verdict([0.28, 0.30, 0.32], [0.48, 0.50, 0.52], higherIsBetter: true).Word);
    }

    [Theory]
    [InlineData("sftmix-seed1", "sftmix")]
    [InlineData("lobass-top6-seed12", "lobass-top6")]
    [InlineData("ntp", null)]
    [InlineData("ntp-seedling", null)]
    public void MethodOfARunName(string name, string? method) => Assert.Equal(method, SeedGroups.MethodOf(name));
}

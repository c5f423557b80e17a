using Sift.Reports;

namespace Sift.Tests.Reports;

public class GapShareTests
{
    private static double[] Outcomes(int n, Func<int, bool> hit) => Enumerable.Range(0, n).Select(i => hit(i) ? 1.0 : 0.0).ToArray();

    [Fact]
    public void ShareIsTheArmsDifferenceOverTheOraclesWithIntervalsAroundThePointEstimates()
    {
        // 200 examples. Baseline answers the first 100 right, the oracle the first 180 (gap 0.40), the arm the first 140 (0.20): share 0.5.
        const int n = 200;
        var arms = new List<ArmOutcomes>
        {
            new("ntp", [Outcomes(n, i => i < 100), Outcomes(n, i => i < 100)]),
            new("oracle", [Outcomes(n, i => i < 180), Outcomes(n, i => i < 180)]),
            new("sftmix", [Outcomes(n, i => i < 140), Outcomes(n, i => i < 140)]),
            new("same", [Outcomes(n, i => i < 100), Outcomes(n, i => i < 100)]),
            new("worse", [Outcomes(n, i => i < 60), Outcomes(n, i => i < 60)]),
        };
        var (oracle, results) = GapShare.Compute(arms, "ntp", "oracle", higherIsBetter: true);
        Assert.Equal(0.40, oracle.Difference, 12);
        Assert.Equal("better", oracle.Verdict);
        var sftmix = results.Single(r => r.Method == "sftmix");
        Assert.Equal(0.20, sftmix.Difference, 12);
        Assert.Equal(0.5, sftmix.Share, 12);
        Assert.True(sftmix.DifferenceInterval.Contains(0.20) && sftmix.DifferenceInterval.Low > 0.1, $"{sftmix.DifferenceInterval}");
        // Each resample's share is (hits among the arm-only examples) / (hits among the oracle-only ones): 40 of 80 on average.
        Assert.True(sftmix.ShareInterval.Contains(0.5) && sftmix.ShareInterval.Low > 0.3 && sftmix.ShareInterval.High < 0.7, $"{sftmix.ShareInterval}");
        Assert.Equal("better", sftmix.Verdict);
        // Identical answers: every paired resample differs by exactly 0.
        var same = results.Single(r => r.Method == "same");
        Assert.Equal((0.0, 0.0, 0.0), (same.Share, same.DifferenceInterval.Low, same.DifferenceInterval.High));
        Assert.Equal("inconclusive", same.Verdict);
        var worse = results.Single(r => r.Method == "worse");
        Assert.Equal(-0.5, worse.Share, 12);
        Assert.Equal("worse", worse.Verdict);
    }

    [Fact]
    public void PairingOverExamplesDetectsASmallConsistentGainThatUnpairedResamplingWouldMiss()
    {
        // The baseline gets a pseudo-random half right; the arm gets the same ones plus 12 more of the 200 (+0.06).
        // Paired, the per-example difference is 0 or 1 with p = 0.06: SE ≈ 0.017, so the interval excludes 0.
        // Unpaired resampling would see two Bernoulli(0.5) means with SE ≈ 0.05 and could not tell.
        const int n = 200;
        var rng = new Random(5);
        var baseline = Outcomes(n, _ => rng.NextDouble() < 0.5);
        var wrong = Enumerable.Range(0, n).Where(i => baseline[i] == 0).Take(12).ToHashSet();
        var arm = baseline.Select((v, i) => wrong.Contains(i) ? 1.0 : v).ToArray();
        var oracle = Outcomes(n, _ => true);
        var (_, results) = GapShare.Compute([new("ntp", [baseline]), new("oracle", [oracle]), new("arm", [arm])], "ntp", "oracle", true);
        Assert.Equal(0.06, results[0].Difference, 12);
        // One seed a side: the interval cannot see the training randomness, so no verdict is drawn from it.
        Assert.Equal("inconclusive (1 seed)", results[0].Verdict);
        Assert.True(results[0].DifferenceInterval.Low > 0.02 && results[0].DifferenceInterval.High < 0.10, $"{results[0].DifferenceInterval}");
    }

    [Fact]
    public void SeedsAreResampledSoAnArmThatOnlyOneSeedLiftsIsInconclusive()
    {
        const int n = 100;
        var flat = Outcomes(n, i => i < 50);
        var (_, results) = GapShare.Compute(
        [
            new("ntp", [flat, flat, flat]),
            new("oracle", [Outcomes(n, i => i < 90), Outcomes(n, i => i < 90), Outcomes(n, i => i < 90)]),
            new("lucky", [Outcomes(n, i => i < 80), flat, flat]),
        ], "ntp", "oracle", true);
        Assert.Equal(0.10, results[0].Difference, 12);
        // A resample that draws the flat seeds three times differs by 0, one in (2/3)^3 ≈ 30% of resamples.
        Assert.Equal(0.0, results[0].DifferenceInterval.Low, 12);
        Assert.Equal("inconclusive", results[0].Verdict);
    }

    [Fact]
    public void LowerIsBetterOrientsTheDifferenceAndNoGapMeansNoShare()
    {
        const int n = 50;
        double[] Losses(double v) => Enumerable.Repeat(v, n).ToArray();
        var (oracle, results) = GapShare.Compute(
            [new("ntp", [Losses(2.0), Losses(2.0)]), new("oracle", [Losses(2.0), Losses(2.0)]), new("arm", [Losses(1.5), Losses(1.5)])], "ntp", "oracle", higherIsBetter: false);
        Assert.Equal("inconclusive", oracle.Verdict);
        Assert.Equal(0.5, results[0].Difference, 12);
        Assert.Equal("better", results[0].Verdict);
        Assert.True(double.IsNaN(results[0].Share));
    }

    [Fact]
    public void RunsEvaluatedOnDifferentExamplesAreRefused()
    {
        var e = Assert.Throws<SiftException>(() => GapShare.Compute(
            [new("ntp", [new double[10]]), new("oracle", [new double[10]]), new("arm", [new double[9]])], "ntp", "oracle", true));
        Assert.Contains("'arm' was evaluated on 9 examples, the baseline on 10", e.Message);
    }
}

using Sift.Data;
using Sift.Data.Batching;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Tests.Training;

/// <summary>SFTMix's λ against Beta(α, α): the sampler, and the λ the objective actually hands to the fused loss.</summary>
public class MixupLambdaTests
{
    /// <summary>
    /// Chance that a correct sampler fails one of the checks below for an arbitrary seed: each bound is set at a
    /// false-alarm probability of about 1e-6. The seeds are fixed, so a pass is reproducible; a sampler off by a
    /// little (λ fixed at 1, Beta(2α, 2α), Uniform) fails them by orders of magnitude.
    /// </summary>
    private const double FalseAlarm = 1e-6;

    /// <summary>5 standard deviations: a two-sided normal tail of 5.7e-7 ≈ <see cref="FalseAlarm"/>.</summary>
    private const double Z = 5;

    [Fact]
    public void TheBetaCdfMatchesItsClosedForms()
    {
        // I_x(1, 1) = x; I_x(½, ½) = (2/π)·asin(√x) (the arcsine law); I_x(2, 2) = 3x² − 2x³; I_x(a, 1) = x^a.
        // The continued fraction converges to 1e-15 and ln Γ is good to ~1e-15 relative, so 1e-12 leaves room.
        foreach (var x in new[] { 1e-6, 0.01, 0.2, 0.37, 0.5, 0.63, 0.9, 0.999 })
        {
            Assert.Equal(x, BetaDistribution.Cdf(x, 1, 1), 1e-12);
            Assert.Equal(2 / Math.PI * Math.Asin(Math.Sqrt(x)), BetaDistribution.Cdf(x, 0.5, 0.5), 1e-12);
            Assert.Equal(3 * x * x - 2 * x * x * x, BetaDistribution.Cdf(x, 2, 2), 1e-12);
            Assert.Equal(Math.Pow(x, 0.2), BetaDistribution.Cdf(x, 0.2, 1), 1e-12);
            Assert.Equal(1 - BetaDistribution.Cdf(1 - x, 0.2, 0.2), BetaDistribution.Cdf(x, 0.2, 0.2), 1e-12); // symmetry
        }
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)] // the paper's default
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void TheSamplerDrawsBetaAlphaAlpha(double alpha)
    {
        using var generator = new Generator(17);
        AssertBeta(MixupLambda.Draw(20_000, alpha, generator), alpha);
    }

    [Fact]
    public void TheLambdasTheObjectiveUsesAreBetaAlphaAlpha()
    {
        // The λ of every pair as the fused loss receives them (not the sampler's output): 64 micro-batches of
        // 32 pairs, each with its own step generator, 2048 draws. Reported as fp32 (the kernel's λ): rounding moves
        // each by ≤ 2⁻²⁴ relative, which moves Beta(½, ½)'s CDF by ≤ x·f(x)·2⁻²⁴ < 2⁻²⁴, far below the KS bound.
        const double alpha = 0.5;
        var data = TrainerFixtures.Examples(64, seed: 11);
        var confident = data.Take(32).Select(e => e.Id).ToHashSet();
        var rows = new List<MixedRow>();
        var objective = new SftMixObjective(confident, new SftMixOptions(Alpha: alpha, Mu: 0.5, DiagnosticSteps: 0)) { OnMixedRows = rows.AddRange };
        var microBatch = objective.PlanEpoch(data, 64, seed: 3, epoch: 0).Single().Select(i => data[i]).ToList();
        using var model = TrainerFixtures.Model();
        var lambdas = new List<double>();
        using (no_grad())
            for (int step = 0; step < 64; step++)
            {
                rows.Clear();
                using var batch = TokenBatch.Padded(microBatch);
                using var generator = new Generator((ulong)(1000 + step));
                objective.Compute(model, batch, new StepContext(step, [microBatch], generator)).Loss.Dispose();
                var pairs = MixedPairs.From(rows);
                Assert.Equal(32, pairs.Count);
                lambdas.AddRange(pairs.Select(p => (double)p.Lambda));
            }
        AssertBeta(lambdas, alpha);
    }

    /// <summary>
    /// KS distance to the Beta(α, α) CDF within <see cref="BetaDistribution.KsThreshold"/>; sample mean within Z
    /// standard errors of α/(2α) = ½ (σ² = 1/(4(2α + 1))); sample variance within Z standard errors of σ², the
    /// sample variance's variance being (μ₄ − σ⁴)/n with μ₄ = σ⁴·(3 − 6/(2α + 3)) (a symmetric Beta's excess
    /// kurtosis is −6/(2α + 3)).
    /// </summary>
    private static void AssertBeta(IReadOnlyList<double> lambdas, double alpha)
    {
        int n = lambdas.Count;
        Assert.All(lambdas, l => Assert.InRange(l, 0, 1));
        double d = BetaDistribution.KolmogorovSmirnov(lambdas, x => BetaDistribution.Cdf(x, alpha, alpha));
        double bound = BetaDistribution.KsThreshold(n, FalseAlarm);
        Assert.True(d <= bound, $"KS distance {d:F4} to Beta({alpha}, {alpha}) exceeds {bound:F4} (n = {n})");

        double variance = 1 / (4 * (2 * alpha + 1));
        double mean = lambdas.Average();
        Assert.True(Math.Abs(mean - 0.5) <= Z * Math.Sqrt(variance / n), $"mean λ {mean:F4}, expected 0.5 ± {Z * Math.Sqrt(variance / n):F4}");
        double sampleVariance = lambdas.Sum(l => (l - mean) * (l - mean)) / (n - 1);
        double spread = Z * variance * Math.Sqrt((2 - 6 / (2 * alpha + 3)) / n);
        Assert.True(Math.Abs(sampleVariance - variance) <= spread, $"λ variance {sampleVariance:F5}, expected {variance:F5} ± {spread:F5}");
    }
}

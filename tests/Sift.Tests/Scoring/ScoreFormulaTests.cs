using Sift.Scoring;

namespace Sift.Tests.Scoring;

public class ScoreFormulaTests
{
    [Fact]
    public void LearnabilityMatchesHandComputedValues()
    {
        // base: 3 tokens, nll 6.0 -> L_base 2.0; ref: nll 1.5 -> L_ref 0.5
        var s = LearnabilityScore.From(new ExampleStats("a", 3, 6.0, 1).Loss, new ExampleStats("a", 3, 1.5, 2).Loss);
        Assert.Equal(2.0, s.LossBase, 12);
        Assert.Equal(0.5, s.LossRef, 12);
        Assert.Equal(1.5, s.Diff, 12);
        Assert.Equal(0.75, s.Normalized, 12);
        Assert.Equal(3.0, s.RefDenominator, 12);
        Assert.True(s.Scorable);
        // S from sums equals S from means: (6.0 - 1.5) / 6.0
        Assert.Equal((6.0 - 1.5) / 6.0, s.Normalized, 12);
    }

    [Fact]
    public void NormalizedAndRefDenominatorFormsRankAlike()
    {
        var rng = new Random(3);
        var rows = Enumerable.Range(0, 50).Select(i => LearnabilityScore.From(
            new ExampleStats($"e{i}", 10, 1 + 30 * rng.NextDouble(), 0).Loss, new ExampleStats($"e{i}", 10, 1 + 30 * rng.NextDouble(), 0).Loss)).ToList();
        var byS = rows.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Normalized).Select(x => x.i);
        var byRef = rows.Select((r, i) => (r, i)).OrderByDescending(x => x.r.RefDenominator).Select(x => x.i);
        Assert.Equal(byS, byRef);
    }

    [Fact]
    public void TinyBaseLossIsUnscorableNotADivision()
    {
        var s = LearnabilityScore.From(new ExampleStats("a", 4, 2e-8, 4).Loss, new ExampleStats("a", 4, 1e-9, 4).Loss);
        Assert.False(s.Scorable);
        Assert.True(double.IsNaN(s.Normalized));
        Assert.True(double.IsNaN(s.RefDenominator));
        Assert.Equal(5e-9 - 2.5e-10, s.Diff, 15);
        var nan = LearnabilityScore.From(new ExampleStats("b", 2, double.NaN, 0).Loss, new ExampleStats("b", 2, 1, 0).Loss);
        Assert.False(nan.Scorable);
        Assert.True(double.IsNaN(nan.Diff));
    }

    [Fact]
    public void IfdRatiosMatchHandComputedValues()
    {
        var ifd = InstructionFollowingDifficulty.From(new ExampleStats("a", 4, 4.0, 0).Loss, new ExampleStats("a", 4, 8.0, 0).Loss);
        Assert.Equal(1.0, ifd.Conditioned, 12);
        Assert.Equal(2.0, ifd.Direct, 12);
        Assert.Equal(0.5, ifd.LossRatio, 12);
        Assert.Equal(Math.Exp(1.0) / Math.Exp(2.0), ifd.PplRatio, 12);
        var zero = InstructionFollowingDifficulty.From(new ExampleStats("z", 4, 1.0, 0).Loss, new ExampleStats("z", 4, 0.0, 4).Loss);
        Assert.True(double.IsNaN(zero.LossRatio));
        Assert.True(double.IsNaN(zero.PplRatio));
    }

    [Fact]
    public void CheckpointConfidenceMatchesHandComputedValues()
    {
        double[] losses = [Math.Log(2), Math.Log(4), Math.Log(4)];
        var c = CheckpointConfidence.From(losses, [0.5, 0.25, 1.0]);
        Assert.Equal(-(2.0 + 4.0 + 4.0) / 3, c.SftMixConfidence, 12);
        double mu = (0.5 + 0.25 + 0.25) / 3;
        Assert.Equal(mu, c.Confidence, 12);
        Assert.Equal(Math.Sqrt(((0.5 - mu) * (0.5 - mu) + 2 * (0.25 - mu) * (0.25 - mu)) / 3), c.Variability, 12);
        Assert.Equal(1.75, c.Correctness, 12);
        Assert.True(double.IsNaN(CheckpointConfidence.From([1.0, double.PositiveInfinity], [0, 0]).Confidence));
    }

    [Fact]
    public void RandomScoreIsSeededUniformAndIdBased()
    {
        Assert.Equal(RandomScore.Of(7, "abc"), RandomScore.Of(7, "abc"));
        Assert.NotEqual(RandomScore.Of(7, "abc"), RandomScore.Of(8, "abc"));
        var values = Enumerable.Range(0, 4000).Select(i => RandomScore.Of(1, $"id{i}")).ToArray();
        Assert.All(values, v => Assert.InRange(v, 0.0, 1.0 - 1e-17));
        Assert.InRange(values.Average(), 0.48, 0.52);
        Assert.InRange(values.Count(v => v < 0.25), 900, 1100);
    }
}

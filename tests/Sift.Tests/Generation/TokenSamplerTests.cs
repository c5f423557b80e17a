using Sift.Generation;
using static TorchSharp.torch;

namespace Sift.Tests.Generation;

public class TokenSamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.0f, 0.5f, 2.9f];

    private static int[] Draw(SamplingOptions options, int n)
    {
        using var sampler = new TokenSampler(options);
        using var logits = tensor(Logits);
        return Enumerable.Range(0, n).Select(_ => sampler.Next(logits)).ToArray();
    }

    [Fact]
    public void GreedyTakesTheArgmax() => Assert.All(Draw(new SamplingOptions(), 5), id => Assert.Equal(1, id));

    [Fact]
    public void SameSeedGivesTheSameSamplesAndAnotherSeedDiffers()
    {
        var a = Draw(new SamplingOptions { Temperature = 1.0, Seed = 7 }, 200);
        Assert.Equal(a, Draw(new SamplingOptions { Temperature = 1.0, Seed = 7 }, 200));
        Assert.NotEqual(a, Draw(new SamplingOptions { Temperature = 1.0, Seed = 8 }, 200));
        Assert.Equal(5, a.Distinct().Count());
    }

    [Fact]
    public void TopKKeepsOnlyTheKBestTokens() =>
        Assert.All(Draw(new SamplingOptions { Temperature = 5.0, TopK = 2, Seed = 1 }, 300), id => Assert.Contains(id, new[] { 1, 4 }));

    [Fact]
    public void TopPKeepsTheSmallestSetReachingP()
    {
        // Probabilities at temperature 1: token 1 ≈ 0.36, token 4 ≈ 0.33, token 2 ≈ 0.13, ...
        // p = 0.5 needs tokens 1 and 4; p = 0.3 needs token 1 only.
        Assert.All(Draw(new SamplingOptions { Temperature = 1.0, TopP = 0.5, Seed = 3 }, 300), id => Assert.Contains(id, new[] { 1, 4 }));
        Assert.All(Draw(new SamplingOptions { Temperature = 1.0, TopP = 0.3, Seed = 3 }, 50), id => Assert.Equal(1, id));
    }

    [Fact]
    public void FrequenciesFollowTheSoftmax()
    {
        var draws = Draw(new SamplingOptions { Temperature = 1.0, Seed = 11 }, 4000);
        var probs = Logits.Select(l => Math.Exp(l)).ToArray();
        var total = probs.Sum();
        for (int i = 0; i < probs.Length; i++)
        {
            double expected = probs[i] / total, observed = draws.Count(d => d == i) / 4000.0;
            // Sampling noise, not rounding: a frequency over 4000 draws has σ = √(p(1−p)/4000) ≤ 0.0079, so
            // 0.03 is ≥ 3.8σ (and the seed is fixed); sampling from the wrong temperature or an unnormalised
            // distribution shifts some frequency by ≥ 0.1.
            Assert.True(Math.Abs(expected - observed) < 0.03, $"token {i}: expected {expected:F3}, observed {observed:F3}");
        }
    }

    [Theory]
    [InlineData(-1.0, 0, 1.0)]
    [InlineData(1.0, -2, 1.0)]
    [InlineData(1.0, 0, 0.0)]
    [InlineData(1.0, 0, 1.5)]
    public void RejectsInvalidSettings(double temperature, int topK, double topP) =>
        Assert.Throws<SiftException>(() => new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP }.Validate());
}

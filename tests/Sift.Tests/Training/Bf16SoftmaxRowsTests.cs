using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Tests.Training;

/// <summary>
/// The bf16 cross-entropy kernel against the same quantities computed in float64 from the same bf16
/// logits: NLL, greedy hits (the first largest logit, as torch.max picks it) and the gradient
/// scale·(softmax − onehot), which the kernel rounds once to bf16.
/// </summary>
public class Bf16SoftmaxRowsTests
{
    // Widths with and without a tail past the 16-value vector loop.
    [Theory]
    [InlineData(37)]
    [InlineData(64)]
    [InlineData(1000)]
    public void NllHitsAndGradientMatchFloat64OnTheSameLogits(int vocab)
    {
        const int rows = 7;
        const float scale = 0.125f;
        var g = new Generator(3);
        using var logits = (randn([rows, vocab], generator: g) * 4).to_type(ScalarType.BFloat16);
        var gold = randint(vocab, [rows], generator: g).data<long>().ToArray();
        gold[0] = logits[0].to_type(ScalarType.Float32).argmax().item<long>(); // one hit at least
        using var z = logits.to_type(ScalarType.Float64);
        using var logProbs = z.log_softmax(1);
        using var expected = logProbs.exp() * scale;
        var reference = expected.data<double>().ToArray();
        var firstMax = Enumerable.Range(0, rows).Select(r => z[r].data<double>().ToArray()).Select(row => Array.IndexOf(row, row.Max())).ToArray();

        var nll = new float[rows];
        var correct = new bool[rows];
        using var work = logits.clone();
        Bf16SoftmaxRows.Run(work, gold, scale, nll, correct);

        var grad = work.to_type(ScalarType.Float64).data<double>().ToArray();
        for (int r = 0; r < rows; r++)
        {
            double lse = -logProbs[r, gold[r]].item<double>();
            // fp32 from the same (exactly representable) inputs: the vocab-term sum of exponentials (each within
            // a few roundings) moves log(sum) by Fp32Sum(vocab + 4) absolute; adding max and subtracting z_gold
            // round once each, relative to their magnitudes.
            double magnitude = 1 + Math.Abs(lse) + 2 * z[r].abs().max().item<double>();
            Assert.Equal(lse, nll[r], Tolerances.Fp32Sum(vocab + 4) * magnitude);
            Assert.Equal(firstMax[r] == gold[r], correct[r]);
            for (int j = 0; j < vocab; j++)
            {
                double e = reference[r * vocab + j] - (j == gold[r] ? scale : 0);
                // One bf16 rounding of the result (2⁻⁸ relative) on top of the fp32 softmax's error (the sum's, relative to scale).
                Assert.True(Math.Abs(grad[r * vocab + j] - e) <= Tolerances.Bf16 * Math.Abs(e) + Tolerances.Fp32Sum(vocab + 4) * scale,
                    $"row {r} token {j}: {grad[r * vocab + j]} vs {e}");
            }
        }
        Assert.Contains(true, correct);
    }

    [Fact]
    public void TiesGoToTheFirstLargestLogitAndWithoutAScaleTheLogitsStay()
    {
        using var logits = tensor(new float[] { 1, 3, 2, 3, -1, 0.5f, 0.5f, 0 }).reshape(2, 4).to_type(ScalarType.BFloat16);
        using var before = logits.clone();
        var nll = new float[2];
        var correct = new bool[2];
        Bf16SoftmaxRows.Run(logits, [3, 1], null, nll, correct);
        Assert.Equal([false, true], correct);
        Assert.Equal(before.to_type(ScalarType.Float32).data<float>().ToArray(), logits.to_type(ScalarType.Float32).data<float>().ToArray());
        double lse0 = Math.Log(Math.Exp(1) + 2 * Math.Exp(3) + Math.Exp(2));
        Assert.Equal(lse0 - 3, nll[0], 1e-5);
    }

    [Fact]
    public void ANonFiniteLogitMakesTheNllNaN()
    {
        using var logits = tensor(new float[] { 1, float.NaN, 2, 0, float.PositiveInfinity, 1 }).reshape(2, 3).to_type(ScalarType.BFloat16);
        var nll = new float[2];
        Bf16SoftmaxRows.Run(logits, [0, 0], 1f, nll, new bool[2]);
        Assert.True(float.IsNaN(nll[0]));
        Assert.True(float.IsNaN(nll[1]));
    }
}

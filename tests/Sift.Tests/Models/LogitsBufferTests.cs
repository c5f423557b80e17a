using Sift.Models;
using Sift.Native;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Tests.Models;

/// <summary>
/// The LM head's forward shared by the fused loss and the scorer against the formula the scorer used
/// before it: logits F.linear(h, W), NLL −log_softmax(z)[y] by gather, hit argmax(z) = y, all fp32.
/// </summary>
public class LogitsBufferTests
{
    private const int Vocab = 1000, Dim = 64;

    /// <summary>
    /// Two fp32 evaluations of NLL = log Σ exp(z − max) + max − z_y: the V-term sum in another order
    /// (<see cref="Tolerances.Fp32Sum"/>(V) relative to the sum, so absolute after the log), each exp within an
    /// ulp or two of exact on either side (4u relative in the sum), and the few roundings of z − max, the log
    /// and the additions of max and z_y, relative to the logits' magnitude.
    /// </summary>
    private static double Bound(double maxAbsLogit) => Tolerances.Fp32Sum(Vocab) + 4 * Tolerances.Fp32 + Tolerances.Fp32Against64(8, maxAbsLogit);

    /// <summary>Logits of standard deviation ~3, as a trained model's, row 0's twenty times larger; every other row's gold token is its argmax.</summary>
    private static (Tensor Hidden, Tensor Head, Tensor Gold) Inputs(int rows, long seed = 3)
    {
        var g = new Generator((ulong)seed);
        using var headScale = Scalars.Hold(3 / Math.Sqrt(Dim));
        using var large = Scalars.Hold(20.0);
        var hidden = randn([rows, Dim], generator: g);
        var head = randn([Vocab, Dim], generator: g).mul_(headScale);
        using (var first = hidden[0]) first.mul_(large);
        var gold = randint(Vocab, [rows], generator: g);
        var even = Scalars.Range(0, rows, ScalarType.Int64).remainder(Scalars.Two).eq(Scalars.Zero);
        return (hidden, head, where(even, F.linear(hidden, head).argmax(-1), gold));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]  // multiplied padded to 12 rows
    [InlineData(40)]
    public void NllAndHitsEqualLogSoftmaxGatherAndArgmax(int rows)
    {
        using var scope = NewDisposeScope();
        var (hidden, head, gold) = Inputs(rows);
        var reference = F.linear(hidden, head);
        var expectedNll = F.log_softmax(reference, -1).gather(1, gold.unsqueeze(1)).squeeze(1).neg().data<float>().ToArray();
        var expectedHits = reference.argmax(-1).eq(gold).data<bool>().ToArray();
        double maxAbs = reference.abs().max().item<float>();

        using var buffer = new LogitsBuffer(head, 40);
        var logits = buffer.Logits(hidden);
        Tolerances.AssertClose(reference, logits, Tolerances.Fp32Sum(Dim), "logits");
        var (nll, hits) = LogitsBuffer.CrossEntropyInPlace(logits, gold.unsqueeze(1));
        var actualNll = nll.data<float>().ToArray();
        for (int r = 0; r < rows; r++) Assert.Equal(expectedNll[r], actualNll[r], Bound(maxAbs));
        Assert.Equal(expectedHits, hits.data<bool>().ToArray());
        Assert.True(expectedHits[0]);
    }

    [Fact]
    public void NllIsCloseToTheExactValue()
    {
        using var scope = NewDisposeScope();
        var (hidden, head, gold) = Inputs(16, seed: 5);
        using var buffer = new LogitsBuffer(head, 16);
        var logits = buffer.Logits(hidden);
        var exact = F.log_softmax(logits.to_type(ScalarType.Float64), -1).gather(1, gold.unsqueeze(1)).squeeze(1).neg().data<double>().ToArray();
        double maxAbs = logits.abs().max().item<float>();
        var (nll, _) = LogitsBuffer.CrossEntropyInPlace(logits, gold.unsqueeze(1));
        var actual = nll.data<float>().ToArray();
        for (int r = 0; r < 16; r++) Assert.Equal(exact[r], actual[r], Bound(maxAbs) / 2);
    }

    [Fact]
    public void LogitsAreLeftAsScaledSoftmaxWhenAScaleIsGiven()
    {
        using var scope = NewDisposeScope();
        var (hidden, head, gold) = Inputs(12, seed: 9);
        using var buffer = new LogitsBuffer(head, 12);
        var logits = buffer.Logits(hidden);
        using var quarter = Scalars.Hold(0.25);
        var softmax = F.softmax(logits.to_type(ScalarType.Float64), -1).mul(quarter);
        LogitsBuffer.CrossEntropyInPlace(logits, gold.unsqueeze(1), scale: 0.25);
        // Each element: its exp (a few ulps with the rounding of z − max), the V-term sum and the scaling.
        Tolerances.AssertClose(softmax, logits, Tolerances.Fp32Sum(Vocab));
    }
}

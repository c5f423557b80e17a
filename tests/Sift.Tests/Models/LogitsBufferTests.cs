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
    /// Two fp32 evaluations of an NLL from the same logits: the V-term Σ exp(z − max) in another order
    /// (<see cref="Tolerances.Fp32Sum"/>(V) relative to the sum, so absolute after the log) and each exp within an
    /// ulp or two of exact on either side (4u relative in the sum); then a few roundings relative to the NLL
    /// (the log, the last subtraction) for the precise form, and for lse − z_y the roundings of max + log Σ and of
    /// the subtraction, relative to the logits' magnitude.
    /// </summary>
    private static double Bound(int vocab, bool precise, double nll, double maxAbsLogit) =>
        Tolerances.Fp32Sum(vocab) + 4 * Tolerances.Fp32 + (precise ? Tolerances.Fp32Against64(4, nll) : Tolerances.Fp32Against64(8, maxAbsLogit));

    private static (Tensor Nll, Tensor Hits) CrossEntropy(Tensor logits, Tensor gold, bool precise) =>
        precise ? LogitsBuffer.PreciseCrossEntropyInPlace(logits, gold) : LogitsBuffer.CrossEntropyInPlace(logits, gold);

    /// <summary>Logits of standard deviation ~3, as a trained model's, row 0's twenty times larger; every other row's gold token is its argmax.</summary>
    private static (Tensor Hidden, Tensor Head, Tensor Gold) Inputs(int rows, long seed = 3)
    {
        var g = new Generator((ulong)seed);
        using var headScale = Scalars.Hold(3 / Math.Sqrt(Dim));
        using var large = Scalars.Hold(20.0);
        var hidden = randn([rows, Dim], generator: g);
        var head = randn([Vocab, Dim], generator: g).mul_(headScale);
        using (var first = hidden[0]) first.mul_(large);
        return (hidden, head, ArgmaxOnEvenRows(F.linear(hidden, head), randint(Vocab, [rows], generator: g)));
    }

    private static Tensor ArgmaxOnEvenRows(Tensor logits, Tensor gold)
    {
        var even = Scalars.Range(0, logits.shape[0], ScalarType.Int64).remainder(Scalars.Two).eq(Scalars.Zero);
        return where(even, logits.argmax(-1), gold);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(7, true)]  // multiplied padded to 12 rows
    [InlineData(40, true)]
    [InlineData(7, false)]
    [InlineData(40, false)]
    public void NllAndHitsEqualLogSoftmaxGatherAndArgmax(int rows, bool precise)
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
        var (nll, hits) = CrossEntropy(logits, gold.unsqueeze(1), precise);
        var actualNll = nll.data<float>().ToArray();
        for (int r = 0; r < rows; r++) Assert.Equal(expectedNll[r], actualNll[r], Bound(Vocab, precise, expectedNll[r], maxAbs));
        Assert.Equal(expectedHits, hits.data<bool>().ToArray());
        Assert.True(expectedHits[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NllIsCloseToTheExactValue(bool precise)
    {
        using var scope = NewDisposeScope();
        var (hidden, head, gold) = Inputs(16, seed: 5);
        using var buffer = new LogitsBuffer(head, 16);
        var logits = buffer.Logits(hidden);
        var exact = F.log_softmax(logits.to_type(ScalarType.Float64), -1).gather(1, gold.unsqueeze(1)).squeeze(1).neg().data<double>().ToArray();
        double maxAbs = logits.abs().max().item<float>();
        var (nll, _) = CrossEntropy(logits, gold.unsqueeze(1), precise);
        var actual = nll.data<float>().ToArray();
        for (int r = 0; r < 16; r++) Assert.Equal(exact[r], actual[r], Bound(Vocab, precise, exact[r], maxAbs) / 2);
    }

    /// <summary>
    /// Logits near 1000 (ulp 6e-5), half the rows predicting their gold token confidently: the precise form
    /// keeps each NLL within a few ulps of the NLL's own size, where max + log Σ would round it to ulps of 1000.
    /// </summary>
    [Fact]
    public void ThePreciseFormDoesNotRoundSmallLossesToTheLogitsScale()
    {
        using var scope = NewDisposeScope();
        const int vocab = 16, rows = 32;
        var g = new Generator(13);
        using var thousand = Scalars.Hold(1000.0);
        using var spread = Scalars.Hold(10.0);
        var logits = randn([rows, vocab], generator: g).mul_(spread).add_(thousand);
        var gold = ArgmaxOnEvenRows(logits, randint(vocab, [rows], generator: g)).unsqueeze(1);
        var exact = F.log_softmax(logits.to_type(ScalarType.Float64), -1).gather(1, gold).squeeze(1).data<double>().Select(x => -x).ToArray();
        var (nll, _) = LogitsBuffer.PreciseCrossEntropyInPlace(logits, gold);
        var actual = nll.data<float>().ToArray();
        Assert.Contains(exact, x => x < 1e-3);
        for (int r = 0; r < rows; r++) Assert.Equal(exact[r], actual[r], Bound(vocab, precise: true, exact[r], 0) / 2);
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

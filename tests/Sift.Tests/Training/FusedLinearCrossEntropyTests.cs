using Sift.Training.Objectives;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Tests.Training;

/// <summary>
/// The fused, chunked LM head + cross entropy against plain autograd through materialized logits
/// (F.linear and log_softmax; the mixup term in the paper's form, mixing hidden states): same loss, same per-row NLL and hits,
/// same gradients for the hidden rows and the head, with chunks small enough that pairs and plain
/// rows are spread over several of them.
/// </summary>
public class FusedLinearCrossEntropyTests
{
    private const int Rows = 11, Dim = 6, Vocab = 9;

    // fp32 tolerance: both sides evaluate the same sums in different orders (chunks vs whole): a chain of
    // Dim products, a Vocab-term logsumexp, a Rows-term total and the mixup terms, under 32 in all, so
    // Tolerances.Fp32Sum(32) of the values' scale (~4e-6). A wrong row, weight or missing term moves them by O(0.1).
    private static readonly double Bound = Tolerances.Fp32Sum(32);

    private static (Tensor Hidden, Tensor Head, Tensor Gold) Inputs(ScalarType dtype = ScalarType.Float32, bool headGrad = true)
    {
        var g = new Generator(7);
        var hidden = randn([Rows, Dim], generator: g).to_type(dtype).requires_grad_(true);
        var head = randn([Vocab, Dim], generator: g).to_type(dtype).requires_grad_(headGrad);
        var gold = randint(Vocab, [Rows], generator: g);
        return (hidden, head, gold);
    }

    private static readonly MixupPair[] Pairs = [new([0, 1, 2, 3], [5, 6], 0.3), new([8], [9, 10], 0.85)];

    /// <summary>a·Σ NLL + b·Σ mixup with autograd through the full [R, V] logits.</summary>
    private static (Tensor Loss, float[] Nll, bool[] Correct) Reference(Tensor hidden, Tensor head, Tensor gold, double a, double b, bool mixup)
    {
        var logits = F.linear(hidden, head).to_type(ScalarType.Float32);
        var logProbs = logits.log_softmax(-1);
        var nll = -logProbs.gather(1, gold.unsqueeze(1)).squeeze(1);
        var loss = a * nll.sum();
        if (mixup) loss = loss + b * MixupLossTests.PapersForm(hidden, head, gold, Pairs);
        return (loss, nll.detach().data<float>().ToArray(), logProbs.argmax(1).eq(gold).data<bool>().ToArray());
    }

    [Theory]
    [InlineData(false, 1L << 24)] // one chunk
    [InlineData(false, 3 * Vocab)] // three rows per chunk
    [InlineData(true, 1L << 24)]
    [InlineData(true, 3 * Vocab)] // one pair per chunk, then three plain rows at a time
    public void LossRowsAndGradientsEqualAutogradThroughFullLogits(bool mixup, long chunkElements)
    {
        const double a = 0.125, b = 0.07;
        var (h1, w1, gold) = Inputs();
        using var fused = FusedLinearCrossEntropy.Compute(h1, w1, gold, a, mixup ? MixupRows.From(Pairs) : null, b, chunkElements);
        fused.Loss.backward();

        var (h2, w2, _) = Inputs();
        var (loss, nll, correct) = Reference(h2, w2, gold, a, b, mixup);
        loss.backward();

        Assert.Equal(loss.item<float>(), fused.Loss.item<float>(), Tolerances.Scaled(Bound, loss.item<float>()));
        Assert.Equal(nll.Length, fused.Nll.Length);
        for (int i = 0; i < nll.Length; i++) Assert.Equal(nll[i], fused.Nll[i], Tolerances.Scaled(Bound, nll[i]));
        Assert.Equal(correct, fused.Correct);
        Tolerances.AssertClose(h2.grad!, h1.grad!, Bound, "hidden gradients");
        Tolerances.AssertClose(w2.grad!, w1.grad!, Bound, "head gradients");
        if (mixup)
        {
            var papers = MixupLossTests.PapersForm(h2.detach(), w2.detach(), gold, Pairs).item<float>();
            Assert.Equal(papers, fused.MixupSum, Tolerances.Scaled(Bound, papers));
        }
    }

    [Fact]
    public void Bfloat16MatchesTheUnfusedBfloat16Path()
    {
        var (h1, w1, gold) = Inputs(ScalarType.BFloat16);
        using var fused = FusedLinearCrossEntropy.Compute(h1, w1, gold, 0.5, MixupRows.From(Pairs), 0.2, 3 * Vocab);
        fused.Loss.backward();
        var (h2, w2, _) = Inputs(ScalarType.BFloat16);
        Reference(h2, w2, gold, 0.5, 0.2, mixup: true).Loss.backward();
        Assert.Equal(ScalarType.BFloat16, h1.grad!.dtype);
        // Both paths round the logits z to bf16 (2⁻⁸ relative, so softmax moves by up to 2⁻⁸·max|z|) and
        // the gradients once more (2⁻⁸), at different points: each is within 2⁻⁸·(1 + max|z|) of the exact
        // gradient's scale, and they differ by at most twice that. A wrong weight or a dropped mixup term
        // changes the gradients by tens of percent.
        using var logits = F.linear(h2.detach().to_type(ScalarType.Float32), w2.detach().to_type(ScalarType.Float32));
        double bound = 2 * Tolerances.Bf16 * (1 + logits.abs().max().item<float>());
        Tolerances.AssertClose(h2.grad!, h1.grad!, bound, "hidden gradients");
        Tolerances.AssertClose(w2.grad!, w1.grad!, bound, "head gradients");
    }

    /// <summary>
    /// A bf16 head without mixup takes the bf16 route (bf16 logits, <see cref="Bf16SoftmaxRows"/>, chunks of twice
    /// the rows): one chunk, chunks of 6 rows and of 10 (multiplied padded to 12 rows; then one row alone), against
    /// fp32 autograd through the same bf16 logits.
    /// </summary>
    [Theory]
    [InlineData(1L << 24)]
    [InlineData(3 * Vocab)]
    [InlineData(5 * Vocab)]
    public void Bfloat16WithoutMixupMatchesAutogradThroughItsLogits(long chunkElements)
    {
        var (h1, w1, gold) = Inputs(ScalarType.BFloat16);
        using var fused = FusedLinearCrossEntropy.Compute(h1, w1, gold, 0.5, null, 0, chunkElements);
        fused.Loss.backward();
        var (h2, w2, _) = Inputs(ScalarType.BFloat16);
        var (loss, nll, correct) = Reference(h2, w2, gold, 0.5, 0, mixup: false);
        loss.backward();
        // As above: the logits are rounded to bf16 on both sides (possibly by different kernels, one bf16 step
        // apart), and the gradients once more.
        using var logits = F.linear(h2.detach().to_type(ScalarType.Float32), w2.detach().to_type(ScalarType.Float32));
        double bound = 2 * Tolerances.Bf16 * (1 + logits.abs().max().item<float>());
        for (int i = 0; i < nll.Length; i++) Assert.Equal(nll[i], fused.Nll[i], Tolerances.Scaled(bound, nll[i]));
        Assert.Equal(loss.item<float>(), fused.Loss.item<float>(), Tolerances.Scaled(bound * Rows, loss.item<float>()));
        Assert.Equal(correct, fused.Correct);
        Assert.Equal(ScalarType.BFloat16, w1.grad!.dtype);
        Tolerances.AssertClose(h2.grad!, h1.grad!, bound, "hidden gradients");
        Tolerances.AssertClose(w2.grad!, w1.grad!, bound, "head gradients");
    }

    [Fact]
    public void AFrozenHeadGetsNoGradientAndTheRowsStillDo()
    {
        var (h, w, gold) = Inputs(headGrad: false);
        using var fused = FusedLinearCrossEntropy.Compute(h, w, gold, 1);
        fused.Loss.backward();
        Assert.Null(w.grad);
        Assert.True(h.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void WithoutGradientsItOnlyMeasures()
    {
        var (h, w, gold) = Inputs();
        using var _ = no_grad();
        using var fused = FusedLinearCrossEntropy.Compute(h, w, gold, 1, chunkElements: 2 * Vocab);
        Assert.False(fused.Loss.requires_grad);
        var expected = F.cross_entropy(F.linear(h, w), gold, reduction: nn.Reduction.Sum).item<float>();
        Assert.Equal(expected, fused.Loss.item<float>(), Tolerances.Scaled(Bound, expected));
        Assert.Equal(expected, fused.Nll.Sum(), Tolerances.Scaled(Bound, expected));
    }
}

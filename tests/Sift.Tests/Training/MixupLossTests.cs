using Sift.Training.Objectives;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Tests.Training;

public class MixupLossTests
{
    // Tolerance: two fp32 orders of the same few sums (D = 3 products per logit, V = 4 logsumexp terms,
    // ≤ 3 positions and a λ-mix: fewer than 16 roundings on a chain), Tolerances.Fp32Sum(16) of the loss's
    // scale, ~2e-6 relative. Bugs these tests catch (wrong λ side, wrong positions) move the loss by O(0.1).
    private static readonly double Bound = Tolerances.Fp32Sum(16);

    // B = 2 rows of T = 5, D = 3, V = 4. Row 0 (confident) has response positions 1..3, row 1 (unconfident) 6..7.
    private static (Tensor Hidden, Tensor Targets, Tensor Head) Inputs(bool requiresGrad = false)
    {
        var g = new Generator(3);
        var hidden = randn([2, 5, 3], generator: g).requires_grad_(requiresGrad);
        var targets = tensor(new long[] { 0, 2, 1, 3, 0, 0, 3, 1, 0, 0 }).reshape(2, 5);
        var head = randn([4, 3], generator: g).requires_grad_(requiresGrad);
        return (hidden, targets, head);
    }

    /// <summary>The mixup term alone (NTP weight 0, pair rows only) from the fused pass over every position's hidden state.</summary>
    private static (Tensor Sum, long Tokens) Mixup(Tensor h, Tensor y, Tensor w, IReadOnlyList<MixupPair> pairs)
    {
        var rows = MixupRows.From(pairs);
        var fused = FusedLinearCrossEntropy.Compute(h.reshape(-1, h.shape[^1]), w, y.reshape(-1), 0, rows, 1, chunkElements: 2 * 4, pairRowsOnly: true);
        Assert.Equal(fused.MixupSum, fused.Loss.item<float>(), Tolerances.Scaled(Bound, fused.MixupSum));
        return (fused.Loss, rows.Count);
    }

    /// <summary>The paper's form, written out: Σ_n −Ỹ_n · log softmax(W Z̃_n) with Z̃ = λ Z^c + (1 − λ) Z^u and explicit soft targets.</summary>
    internal static Tensor PapersForm(Tensor flatHidden, Tensor head, Tensor flatTargets, IReadOnlyList<MixupPair> pairs)
    {
        long v = head.shape[0];
        var loss = zeros([]);
        foreach (var p in pairs)
            for (int n = 0; n < p.Length; n++)
            {
                long pc = p.ConfidentPositions[n], pu = p.UnconfidentPositions[n];
                var z = p.Lambda * flatHidden[pc] + (1 - p.Lambda) * flatHidden[pu];
                var logp = F.log_softmax(head.matmul(z).to_type(ScalarType.Float32), 0);
                var soft = p.Lambda * F.one_hot(flatTargets[pc], v).to_type(ScalarType.Float32) + (1 - p.Lambda) * F.one_hot(flatTargets[pu], v).to_type(ScalarType.Float32);
                loss = loss - (soft * logp).sum();
            }
        return loss;
    }

    [Fact]
    public void SoftTargetCrossEntropyEqualsTheLambdaWeightedHardOnes()
    {
        var (h, y, w) = Inputs();
        var pair = new MixupPair([1, 2, 3], [6, 7], 0.3);
        var (sum, tokens) = Mixup(h, y, w, [pair]);
        Assert.Equal(2, tokens); // truncated to the shorter response

        var expected = PapersForm(h.reshape(-1, 3), w, y.reshape(-1), [pair]).item<float>();
        Assert.Equal(expected, sum.item<float>(), Tolerances.Scaled(Bound, expected));
    }

    [Fact]
    public void TruncationTakesTheFirstNResponsePositionsOfEach()
    {
        var (h, y, w) = Inputs();
        var (full, _) = Mixup(h, y, w, [new MixupPair([1, 2, 3], [6, 7], 0.5)]);
        var (explicitFirstTwo, _) = Mixup(h, y, w, [new MixupPair([1, 2], [6, 7], 0.5)]);
        var (lastTwo, _) = Mixup(h, y, w, [new MixupPair([2, 3], [6, 7], 0.5)]);
        Assert.Equal(explicitFirstTwo.item<float>(), full.item<float>());
        Assert.NotEqual(lastTwo.item<float>(), full.item<float>());
    }

    [Fact]
    public void GradientsReachBothMembersOfThePairAndTheHead()
    {
        var (h, y, w) = Inputs(requiresGrad: true);
        var (sum, _) = Mixup(h, y, w, [new MixupPair([1, 2, 3], [6, 7], 0.4)]);
        sum.backward();
        var grad = h.grad!.reshape(-1, 3);
        foreach (long p in new long[] { 1, 2, 6, 7 }) Assert.True(grad[p].abs().sum().item<float>() > 0, $"no gradient at {p}");
        foreach (long p in new long[] { 0, 3, 4, 5, 8, 9 }) Assert.Equal(0f, grad[p].abs().sum().item<float>());
        Assert.True(w.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void LambdaOneIsPlainCrossEntropyOfTheConfidentExample()
    {
        var (h, y, w) = Inputs();
        var (sum, _) = Mixup(h, y, w, [new MixupPair([1, 2], [6, 7], 1.0)]);
        var logits = h.reshape(-1, 3).index_select(0, tensor(new long[] { 1, 2 })).matmul(w.t());
        var ce = F.cross_entropy(logits, y.reshape(-1).index_select(0, tensor(new long[] { 1, 2 })), reduction: nn.Reduction.Sum);
        Assert.Equal(ce.item<float>(), sum.item<float>(), Tolerances.Scaled(Bound, ce.item<float>()));
    }

    [Fact]
    public void GradientsEqualAutogradThroughThePapersForm()
    {
        var pairs = new[] { new MixupPair([1, 2, 3], [6, 7], 0.35), new MixupPair([6], [2], 0.8) };
        var (h1, y, w1) = Inputs(requiresGrad: true);
        Mixup(h1, y, w1, pairs).Sum.backward();

        // Reference: mix hidden states, apply the head, soft-target cross entropy, plain autograd.
        var (h2, _, w2) = Inputs(requiresGrad: true);
        var loss = PapersForm(h2.reshape(-1, 3), w2, y.reshape(-1), pairs);
        loss.backward();
        Tolerances.AssertClose(h2.grad!, h1.grad!, Bound, "hidden gradients");
        Tolerances.AssertClose(w2.grad!, w1.grad!, Bound, "head gradients");
    }
}

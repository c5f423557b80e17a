using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Training.Objectives;

/// <summary>
/// One confident/unconfident pair for SFTMix's mixup term: the rows (of the logits given to
/// <see cref="MixupLoss.Compute"/>) that predict each example's response tokens, in order, and the pair's λ.
/// </summary>
public sealed record MixupPair(long[] ConfidentPositions, long[] UnconfidentPositions, double Lambda)
{
    /// <summary>N = min(N^c, N^u): the longer response is truncated, nothing is padded.</summary>
    public int Length => Math.Min(ConfidentPositions.Length, UnconfidentPositions.Length);
}

/// <summary>
/// SFTMix's mixup regularizer (methods.md Part A §2.3): for each pair and each of the first N
/// response positions, Z̃ = λ·Z^c + (1−λ)·Z^u (last hidden states, the LM-head input) and the loss
/// −Ỹ·log softmax(W Z̃) with Ỹ = λ·onehot(y^c) + (1−λ)·onehot(y^u), which equals
/// λ·CE(W Z̃, y^c) + (1−λ)·CE(W Z̃, y^u). The LM head is linear, so W Z̃ = λ·W Z^c + (1−λ)·W Z^u:
/// the mixed logits are mixed from the logits NTP already computed at those positions, which is the
/// same function of Z and W (same values, same gradients) without a second LM-head product.
/// </summary>
public static class MixupLoss
{
    /// <param name="logits">[R, V] logits W Z of the rows the pairs point at (any float type; the loss is computed in fp32).</param>
    /// <param name="targets">[R] the next-token id each row predicts.</param>
    /// <returns>The summed loss over all mixed tokens (a scalar tensor) and the number of mixed tokens.</returns>
    public static (Tensor Sum, long Tokens) Compute(Tensor logits, Tensor targets, IReadOnlyList<MixupPair> pairs)
    {
        var c = new List<long>();
        var u = new List<long>();
        var lambdas = new List<float>();
        foreach (var p in pairs)
        {
            int n = p.Length;
            c.AddRange(p.ConfidentPositions.Take(n));
            u.AddRange(p.UnconfidentPositions.Take(n));
            lambdas.AddRange(Enumerable.Repeat((float)p.Lambda, n));
        }
        if (c.Count == 0) return (zeros([], ScalarType.Float32, logits.device), 0);

        using var scope = NewDisposeScope();
        var ic = tensor(c.ToArray(), device: logits.device);
        var iu = tensor(u.ToArray(), device: logits.device);
        var lam = tensor(lambdas.ToArray(), device: logits.device);
        var full = logits.to_type(ScalarType.Float32);
        var mixed = lam.unsqueeze(1) * full.index_select(0, ic) + (1 - lam).unsqueeze(1) * full.index_select(0, iu);
        var logProbs = mixed.log_softmax(-1);
        var nllC = -logProbs.gather(1, targets.index_select(0, ic).unsqueeze(1)).squeeze(1);
        var nllU = -logProbs.gather(1, targets.index_select(0, iu).unsqueeze(1)).squeeze(1);
        var sum = (lam * nllC + (1 - lam) * nllU).sum();
        return (sum.MoveToOuterDisposeScope(), c.Count);
    }
}

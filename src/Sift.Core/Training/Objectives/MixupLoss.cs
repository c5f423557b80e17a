using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Training.Objectives;

/// <summary>
/// One confident/unconfident pair for SFTMix's mixup term: the flat positions (row·T + t) whose
/// hidden states predict each example's response tokens, in order, and the pair's λ.
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
/// λ·CE(W Z̃, y^c) + (1−λ)·CE(W Z̃, y^u). Gradients flow through both hidden states and W.
/// </summary>
public static class MixupLoss
{
    /// <param name="hidden">[B, T, D] last hidden states.</param>
    /// <param name="targets">[B, T] next-token ids (targets[b, t] is predicted from position t).</param>
    /// <param name="lmHead">[V, D] LM-head weight.</param>
    /// <returns>The summed loss over all mixed tokens (a scalar tensor) and the number of mixed tokens.</returns>
    public static (Tensor Sum, long Tokens) Compute(Tensor hidden, Tensor targets, Tensor lmHead, IReadOnlyList<MixupPair> pairs)
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
        if (c.Count == 0) return (zeros([], hidden.dtype, hidden.device, requires_grad: false), 0);

        using var scope = NewDisposeScope();
        long d = hidden.shape[^1];
        var flatHidden = hidden.reshape(-1, d);
        var flatTargets = targets.reshape(-1);
        var ic = tensor(c.ToArray(), device: hidden.device);
        var iu = tensor(u.ToArray(), device: hidden.device);
        var lam = tensor(lambdas.ToArray(), device: hidden.device).unsqueeze(1);
        var mixed = lam.to_type(hidden.dtype) * flatHidden.index_select(0, ic) + (1 - lam).to_type(hidden.dtype) * flatHidden.index_select(0, iu);
        var logProbs = F.linear(mixed, lmHead).to_type(ScalarType.Float32).log_softmax(-1);
        var nllC = -logProbs.gather(1, flatTargets.index_select(0, ic).unsqueeze(1)).squeeze(1);
        var nllU = -logProbs.gather(1, flatTargets.index_select(0, iu).unsqueeze(1)).squeeze(1);
        var lam1 = lam.squeeze(1);
        var sum = (lam1 * nllC + (1 - lam1) * nllU).sum();
        return (sum.MoveToOuterDisposeScope(), c.Count);
    }
}

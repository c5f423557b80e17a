using static TorchSharp.torch;
using TorchSharp;

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
/// Mixup rows for <see cref="FusedLinearCrossEntropy"/> and <see cref="MixupLoss"/>: row Confident[m] of the hidden rows is mixed with
/// row Unconfident[m] by Lambda[m] (methods.md Part A §2.3). Each row appears in at most one pair.
/// </summary>
public sealed record MixupRows(long[] Confident, long[] Unconfident, float[] Lambda)
{
    public int Count => Confident.Length;

    /// <summary>The first N = min(N^c, N^u) rows of each pair, flattened.</summary>
    public static MixupRows From(IReadOnlyList<MixupPair> pairs)
    {
        var c = new List<long>();
        var u = new List<long>();
        var lambdas = new List<float>();
        foreach (var p in pairs)
        {
            c.AddRange(p.ConfidentPositions.Take(p.Length));
            u.AddRange(p.UnconfidentPositions.Take(p.Length));
            lambdas.AddRange(Enumerable.Repeat((float)p.Lambda, p.Length));
        }
        return new MixupRows(c.ToArray(), u.ToArray(), lambdas.ToArray());
    }
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
        var rows = MixupRows.From(pairs);
        if (rows.Count == 0) return (zeros([], ScalarType.Float32, logits.device), 0);

        using var scope = NewDisposeScope();
        var ic = tensor(rows.Confident, device: logits.device);
        var iu = tensor(rows.Unconfident, device: logits.device);
        var lam = tensor(rows.Lambda, device: logits.device);
        var sum = MixupCrossEntropy.Apply(logits.to_type(ScalarType.Float32), targets.index_select(0, ic), targets.index_select(0, iu), ic, iu, lam);
        return (sum.MoveToOuterDisposeScope(), rows.Count);
    }
}

/// <summary>
/// Σ_m λ_m·CE(z̃_m, y^c_m) + (1−λ_m)·CE(z̃_m, y^u_m) with z̃_m = λ_m·z_{c_m} + (1−λ_m)·z_{u_m}, as one
/// autograd function: its backward is softmax(z̃) − (λ·onehot(y^c) + (1−λ)·onehot(y^u)), scattered back
/// to the two source rows with weights λ and 1−λ. The same gradient autograd would give, with a few
/// passes over the [mixed tokens × vocabulary] matrix instead of a dozen.
/// </summary>
internal sealed class MixupCrossEntropy : autograd.SingleTensorFunction<MixupCrossEntropy>
{
    public override string Name => nameof(MixupCrossEntropy);

    public static Tensor Apply(Tensor logits, Tensor targetsC, Tensor targetsU, Tensor rowsC, Tensor rowsU, Tensor lambda) =>
        apply([logits, targetsC, targetsU, rowsC, rowsU, lambda]);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (logits, tc, tu, ic, iu, lam) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4], (Tensor)vars[5]);
        using var scope = NewDisposeScope();
        var mixed = logits.index_select(0, iu).lerp_(logits.index_select(0, ic), lam.unsqueeze(1));
        var normalizer = mixed.logsumexp(-1);
        var zc = mixed.gather(1, tc.unsqueeze(1)).squeeze(1);
        var zu = mixed.gather(1, tu.unsqueeze(1)).squeeze(1);
        var loss = (normalizer - lam * zc - (1 - lam) * zu).sum();
        ctx.save_data("rows", logits.shape[0]);
        ctx.save_for_backward([mixed.MoveToOuterDisposeScope(), normalizer.MoveToOuterDisposeScope(), tc, tu, ic, iu, lam]);
        return loss.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (mixed, normalizer, tc, tu, ic, iu, lam) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6]);
        using var scope = NewDisposeScope();
        var delta = mixed.sub(normalizer.unsqueeze(1)).exp_();
        delta.scatter_add_(1, tc.unsqueeze(1), -lam.unsqueeze(1));
        delta.scatter_add_(1, tu.unsqueeze(1), (lam - 1).unsqueeze(1));
        delta.mul_(gradOutput);
        var grad = zeros([(long)ctx.get_data("rows"), mixed.shape[1]], mixed.dtype, mixed.device);
        grad.index_add_(0, iu, delta, 1);
        grad.index_add_(0, ic, delta.mul_(lam.unsqueeze(1)), 1);
        grad.index_add_(0, iu, delta, -1);
        return [grad.MoveToOuterDisposeScope(), null!, null!, null!, null!, null!];
    }
}

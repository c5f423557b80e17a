namespace Sift.Training.Objectives;

/// <summary>
/// One confident/unconfident pair for SFTMix's mixup term (docs/METHODS.md, SFTMix, "The loss"): the
/// rows (of the trained positions given to <see cref="FusedLinearCrossEntropy"/>) that predict each
/// example's response tokens, in order, and the pair's λ.
/// </summary>
public sealed record MixupPair(long[] ConfidentPositions, long[] UnconfidentPositions, double Lambda)
{
    /// <summary>N = min(N^c, N^u): the longer response is truncated, nothing is padded.</summary>
    public int Length => Math.Min(ConfidentPositions.Length, UnconfidentPositions.Length);
}

/// <summary>
/// Mixup rows for <see cref="FusedLinearCrossEntropy"/>: row Confident[m] of the hidden rows is mixed
/// with row Unconfident[m] by Lambda[m] (docs/METHODS.md, SFTMix, "The loss"). Each row appears in at
/// most one pair.
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

namespace Sift.Scoring;

/// <summary>
/// LoBaSS / DavIR learnability of one example from its losses under the base model and the reference
/// model (the base fine-tuned on the whole pool), docs/METHODS.md, LoBaSS: S_diff = L_base − L_ref; S =
/// 1 − L_ref / L_base; S_ref_denominator = L_base / L_ref − 1 (the same ranking as S). Both models must
/// have scored the same response tokens. A row with L_base ≤ 1e-8 (or L_ref ≤ 1e-8 for the
/// ref-denominator form, or a non-finite loss) is marked unscorable and its ratios are NaN instead of a
/// division by (nearly) zero.
/// </summary>
public readonly record struct LearnabilityScore(double LossBase, double LossRef, double Diff, double Normalized, double RefDenominator, bool Scorable)
{
    public const double MinLoss = 1e-8;

    /// <param name="lb">L_base, the mean response-token loss under the base model.</param>
    /// <param name="lr">L_ref, the mean loss of the same tokens under the reference.</param>
    public static LearnabilityScore From(double lb, double lr)
    {
        bool finite = double.IsFinite(lb) && double.IsFinite(lr);
        bool scorable = finite && lb > MinLoss;
        return new LearnabilityScore(lb, lr,
            finite ? lb - lr : double.NaN,
            scorable ? 1 - lr / lb : double.NaN,
            scorable && lr > MinLoss ? lb / lr - 1 : double.NaN,
            scorable);
    }
}

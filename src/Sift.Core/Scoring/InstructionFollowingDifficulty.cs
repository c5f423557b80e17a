namespace Sift.Scoring;

/// <summary>
/// IFD (Cherry LLM; docs/METHODS.md, IFD) of one example: s(A|Q) is the mean loss of the response after
/// the full prompt, s(A) the mean loss of the same response tokens after only the minimal prefix.
/// loss_ratio = s(A|Q) / s(A) (Cherry's reference code, the default); ppl_ratio = exp(s(A|Q)) /
/// exp(s(A)) = exp(s(A|Q) − s(A)) (Superfiltering). Both equal 1 at the same point. When s(A) ≤ 1e-8 or
/// a loss is not finite the ratios are NaN (unscorable).
/// </summary>
public readonly record struct InstructionFollowingDifficulty(double Conditioned, double Direct, double LossRatio, double PplRatio)
{
    /// <param name="c">s(A|Q), the mean loss of the response tokens after the prompt.</param>
    /// <param name="d">s(A), the mean loss of the same tokens after only the prefix.</param>
    public static InstructionFollowingDifficulty From(double c, double d)
    {
        bool scorable = double.IsFinite(c) && double.IsFinite(d) && d > LearnabilityScore.MinLoss;
        return new InstructionFollowingDifficulty(c, d, scorable ? c / d : double.NaN, scorable ? Math.Exp(c - d) : double.NaN);
    }
}

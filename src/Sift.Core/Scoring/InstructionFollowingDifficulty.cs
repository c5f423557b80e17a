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
    public static InstructionFollowingDifficulty From(ExampleStats conditioned, ExampleStats direct)
    {
        if (conditioned.Id != direct.Id || conditioned.Tokens != direct.Tokens)
            throw new InvalidOperationException($"example '{conditioned.Id}': the direct pass scored {direct.Tokens} tokens, the conditioned pass {conditioned.Tokens}");
        double c = conditioned.Loss, d = direct.Loss;
        bool scorable = double.IsFinite(c) && double.IsFinite(d) && d > LearnabilityScore.MinLoss;
        return new InstructionFollowingDifficulty(c, d, scorable ? c / d : double.NaN, scorable ? Math.Exp(c - d) : double.NaN);
    }
}

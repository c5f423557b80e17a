namespace Sift.Scoring;

/// <summary>
/// Teacher-forced statistics of one example's response tokens under one model: the summed
/// negative log-likelihood, the number of response tokens, how many of them the model
/// predicts greedily (argmax equals the gold token), and the summed gold-token probabilities
/// Σ_t p(y_t) (NaN when not recorded: rows of partial files from before Sift kept it).
/// </summary>
public readonly record struct ExampleStats(string Id, int Tokens, double NllSum, int Correct, double ProbSum = double.NaN)
{
    /// <summary>L = nll_sum / n_tokens, the mean response-token loss.</summary>
    public double Loss => NllSum / Tokens;

    /// <summary>exp(L).</summary>
    public double Perplexity => Math.Exp(Loss);

    /// <summary>Greedy token accuracy over the response tokens.</summary>
    public double Accuracy => (double)Correct / Tokens;

    /// <summary>(1/T) Σ_t p(y_t), the arithmetic-mean token probability (Cartography with <see cref="TokenMean.Arithmetic"/>).</summary>
    public double MeanProbability => ProbSum / Tokens;
}

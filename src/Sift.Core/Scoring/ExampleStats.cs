namespace Sift.Scoring;

/// <summary>
/// Teacher-forced statistics of one example's response tokens under one model: the summed
/// negative log-likelihood, the number of response tokens, and how many of them the model
/// predicts greedily (argmax equals the gold token).
/// </summary>
public readonly record struct ExampleStats(string Id, int Tokens, double NllSum, int Correct)
{
    /// <summary>L = nll_sum / n_tokens, the mean response-token loss.</summary>
    public double Loss => NllSum / Tokens;

    /// <summary>exp(L).</summary>
    public double Perplexity => Math.Exp(Loss);

    /// <summary>Greedy token accuracy over the response tokens.</summary>
    public double Accuracy => (double)Correct / Tokens;
}

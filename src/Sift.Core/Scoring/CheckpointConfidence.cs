namespace Sift.Scoring;

/// <summary>
/// Confidence statistics of one example over C checkpoints (or training epochs) e = 1..C, from its
/// mean response loss L_e and greedy token accuracy a_e at each:
/// <list type="bullet">
/// <item>SFTMix (docs/METHODS.md, SFTMix, "Confidence"): sftmix_confidence = −(1/C) Σ_e exp(L_e), minus the mean perplexity.</item>
/// <item>The same average over raw losses instead: mean_loss_confidence = −(1/C) Σ_e L_e (a reviewer arm: is the
/// split's quality owed to averaging perplexities, which early high-loss checkpoints dominate?).</item>
/// <item>Dataset Cartography (docs/METHODS.md, Cartography), with p_e the example's token probability at checkpoint e:
/// confidence = (1/C) Σ_e p_e; variability = sqrt((1/C) Σ_e (p_e − confidence)²) (population std, as np.std);
/// correctness = Σ_e a_e (the reference code's count of correct epochs, made continuous by token accuracy).
/// p_e is exp(−L_e), the geometric mean of the token probabilities (<see cref="TokenMean.Geometric"/>), or
/// their arithmetic mean (1/T) Σ_t p(y_t) (<see cref="TokenMean.Arithmetic"/>), passed in.</item>
/// </list>
/// A non-finite loss (or probability) at any checkpoint makes every statistic NaN.
/// </summary>
public readonly record struct CheckpointConfidence(double SftMixConfidence, double Confidence, double Variability, double Correctness, double MeanLossConfidence)
{
    /// <summary>Fewest checkpoints (or epochs) confidence statistics are computed over: one has no variability.</summary>
    public const int MinimumCheckpoints = 2;

    /// <param name="probabilities">p_e per checkpoint for Cartography; null: exp(−L_e).</param>
    public static CheckpointConfidence From(IReadOnlyList<double> losses, IReadOnlyList<double> accuracies, IReadOnlyList<double>? probabilities = null)
    {
        if (losses.Count == 0 || losses.Count != accuracies.Count || (probabilities != null && probabilities.Count != losses.Count))
            throw new ArgumentException("one loss, one accuracy (and one probability, when given) per checkpoint are needed");
        if (losses.Any(l => !double.IsFinite(l)) || accuracies.Any(a => !double.IsFinite(a)) || (probabilities?.Any(p => !double.IsFinite(p)) ?? false))
            return new CheckpointConfidence(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        int c = losses.Count;
        double meanPerplexity = losses.Sum(Math.Exp) / c;
        var p = probabilities?.ToArray() ?? losses.Select(l => Math.Exp(-l)).ToArray();
        double mu = p.Sum() / c;
        double variance = p.Sum(x => (x - mu) * (x - mu)) / c;
        return new CheckpointConfidence(-meanPerplexity, mu, Math.Sqrt(variance), accuracies.Sum(), -(losses.Sum() / c));
    }
}

namespace Sift.Scoring;

/// <summary>
/// Confidence statistics of one example over C checkpoints (or training epochs) e = 1..C, from its
/// mean response loss L_e and greedy token accuracy a_e at each:
/// <list type="bullet">
/// <item>SFTMix (methods Part A §1.1): sftmix_confidence = −(1/C) Σ_e exp(L_e), minus the mean perplexity.</item>
/// <item>Dataset Cartography (Part B §2.1), with p_e = exp(−L_e) (the geometric-mean token probability):
/// confidence = (1/C) Σ_e p_e; variability = sqrt((1/C) Σ_e (p_e − confidence)²) (population std, as np.std);
/// correctness = Σ_e a_e (the reference code's count of correct epochs, made continuous by token accuracy).</item>
/// </list>
/// A non-finite loss at any checkpoint makes every statistic NaN.
/// </summary>
public readonly record struct CheckpointConfidence(double SftMixConfidence, double Confidence, double Variability, double Correctness)
{
    public static CheckpointConfidence From(IReadOnlyList<double> losses, IReadOnlyList<double> accuracies)
    {
        if (losses.Count == 0 || losses.Count != accuracies.Count)
            throw new ArgumentException("one loss and one accuracy per checkpoint are needed");
        if (losses.Any(l => !double.IsFinite(l)) || accuracies.Any(a => !double.IsFinite(a)))
            return new CheckpointConfidence(double.NaN, double.NaN, double.NaN, double.NaN);
        int c = losses.Count;
        double meanPerplexity = losses.Sum(Math.Exp) / c;
        var p = losses.Select(l => Math.Exp(-l)).ToArray();
        double mu = p.Sum() / c;
        double variance = p.Sum(x => (x - mu) * (x - mu)) / c;
        return new CheckpointConfidence(-meanPerplexity, mu, Math.Sqrt(variance), accuracies.Sum());
    }
}

namespace Sift.Reports;

/// <summary>One method's per-example outcomes on a shared evaluation set: one array per seed, in the same example order for every method.</summary>
public sealed record ArmOutcomes(string Method, IReadOnlyList<double[]> Seeds);

/// <summary>A percentile interval of a bootstrap distribution.</summary>
public readonly record struct Interval(double Low, double High)
{
    public bool Contains(double x) => Low <= x && x <= High;
}

/// <summary>How an arm compares with the baseline on the outcome, and how much of the baseline-to-oracle gap it closes.</summary>
/// <param name="Difference">arm − baseline on the outcome's mean (oriented: positive is better).</param>
/// <param name="Share">(arm − baseline) / (oracle − baseline); NaN when the oracle gap is not established.</param>
/// <param name="Seeds">The fewer of the method's and the baseline's seeds: with one, the interval cannot see how much training randomness moves the outcome.</param>
public sealed record GapShareResult(string Method, double Mean, double Difference, Interval DifferenceInterval, double Share, Interval ShareInterval, int Seeds)
{
    /// <summary>better / worse when the difference's interval excludes 0 and both sides have 2 or more seeds, else inconclusive.</summary>
    public string Verdict => Seeds < 2 ? "inconclusive (1 seed)" : DifferenceInterval.Low > 0 ? "better" : DifferenceInterval.High < 0 ? "worse" : "inconclusive";
}

/// <summary>
/// The share of the gap between a noisy baseline (NTP on the noisy pool) and an oracle (the clean
/// data only) that each method recovers, (arm − baseline) / (oracle − baseline), with a paired
/// bootstrap: each resample draws the evaluation examples with replacement, the same draw for every
/// method (the comparison is paired over examples), and each method's seeds with replacement (its
/// runs are independent draws of the training randomness). Intervals are the 2.5 and 97.5
/// percentiles. A verdict needs the difference's interval to exclude 0; the shares are reported only
/// when the oracle's own interval against the baseline excludes 0, since a share of a gap that may
/// not exist means nothing.
/// </summary>
public static class GapShare
{
    public const int Resamples = 2000;

    public static readonly string Rule = "Paired bootstrap over held-out examples (the same draw for every method) and over each method's seeds " +
                               $"({Resamples} resamples, 95% percentile intervals). better / worse: the interval of the difference " +
                               "from the baseline excludes 0 and both have at least 2 seeds (with one seed the interval omits the training randomness); otherwise inconclusive. Gap share = (method − baseline) / (oracle − baseline), " +
                               "reported when the oracle's own difference from the baseline is established.";

    /// <param name="higherIsBetter">The outcome's direction (exact match: higher; loss: lower); differences are oriented so positive is better.</param>
    /// <param name="seed">Seed of the resampling, so a report is reproducible.</param>
    public static (GapShareResult Oracle, List<GapShareResult> Arms) Compute(IReadOnlyList<ArmOutcomes> arms, string baseline, string oracle,
        bool higherIsBetter, int seed = 0)
    {
        var byName = arms.ToDictionary(a => a.Method);
        if (!byName.TryGetValue(baseline, out var b)) throw new SiftException($"gap share: no outcomes for the baseline '{baseline}'");
        if (!byName.TryGetValue(oracle, out var o)) throw new SiftException($"gap share: no outcomes for the oracle '{oracle}'");
        int n = b.Seeds[0].Length;
        foreach (var arm in arms)
        {
            if (arm.Seeds.Count == 0) throw new SiftException($"gap share: method '{arm.Method}' has no runs");
            if (arm.Seeds.Any(s => s.Length != n))
                throw new SiftException($"gap share: method '{arm.Method}' was evaluated on {arm.Seeds.First(s => s.Length != n).Length} examples, the baseline on {n}; evaluate every run on the same data");
        }
        double sign = higherIsBetter ? 1 : -1;
        var rng = new Random(seed);
        var samples = arms.ToDictionary(a => a.Method, _ => new double[Resamples]);
        var weights = new int[n];
        for (int r = 0; r < Resamples; r++)
        {
            Array.Clear(weights);
            for (int i = 0; i < n; i++) weights[rng.Next(n)]++;
            foreach (var arm in arms)
            {
                double total = 0;
                for (int k = 0; k < arm.Seeds.Count; k++) total += WeightedMean(arm.Seeds[rng.Next(arm.Seeds.Count)], weights, n);
                samples[arm.Method][r] = total / arm.Seeds.Count;
            }
        }
        double Mean(ArmOutcomes a) => a.Seeds.Average(s => s.Average());
        double baseMean = Mean(b), gap = sign * (Mean(o) - baseMean);
        var gapDraws = Enumerable.Range(0, Resamples).Select(r => sign * (samples[oracle][r] - samples[baseline][r])).ToArray();
        var gapInterval = Percentiles(gapDraws);
        bool gapEstablished = gapInterval.Low > 0;

        GapShareResult Result(ArmOutcomes arm)
        {
            var diffs = Enumerable.Range(0, Resamples).Select(r => sign * (samples[arm.Method][r] - samples[baseline][r])).ToArray();
            var difference = sign * (Mean(arm) - baseMean);
            var share = gapEstablished ? difference / gap : double.NaN;
            var shareInterval = gapEstablished
                ? Percentiles(diffs.Select((d, r) => gapDraws[r] > 0 ? d / gapDraws[r] : double.NaN).Where(double.IsFinite).ToArray())
                : new Interval(double.NaN, double.NaN);
            return new GapShareResult(arm.Method, Mean(arm), difference, Percentiles(diffs), share, shareInterval, Math.Min(arm.Seeds.Count, b.Seeds.Count));
        }
        return (Result(o), arms.Where(a => a.Method != baseline && a.Method != oracle).Select(Result).ToList());
    }

    private static double WeightedMean(double[] values, int[] weights, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += weights[i] * values[i];
        return sum / n;
    }

    private static Interval Percentiles(double[] draws)
    {
        if (draws.Length == 0) return new Interval(double.NaN, double.NaN);
        var sorted = draws.Order().ToArray();
        double At(double q)
        {
            var pos = q * (sorted.Length - 1);
            int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
            return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
        }
        return new Interval(At(0.025), At(0.975));
    }
}

namespace Sift.Reports;

/// <summary>
/// Whether a method is better or worse than a baseline by more than the seeds scatter: the
/// difference of the means must exceed the spread, the sum of the two sample standard deviations
/// across seeds. Within the spread, or with fewer than two seeds on either side (no spread to
/// compare against), the comparison is inconclusive.
/// </summary>
public sealed record SeedVerdict(string Method, string Baseline, string Metric, SeedStat MethodStat, SeedStat BaselineStat, bool HigherIsBetter)
{
    public const string Rule = "better / worse: the method's mean differs from the baseline's by more than the spread across seeds " +
                               "(the sum of the two sample standard deviations); otherwise, or with fewer than 2 seeds on either side, inconclusive.";

    /// <summary>How much better the method's mean is (negative: worse).</summary>
    public double Improvement => HigherIsBetter ? MethodStat.Mean - BaselineStat.Mean : BaselineStat.Mean - MethodStat.Mean;

    public double Spread => MethodStat.Std + BaselineStat.Std;

    public bool HasSpread => MethodStat.Seeds >= 2 && BaselineStat.Seeds >= 2;

    public string Word => !HasSpread || Math.Abs(Improvement) <= Spread ? "inconclusive" : Improvement > 0 ? "better" : "worse";

    /// <summary>One plain sentence, e.g. "sftmix vs ntp on held-out loss: 2.9000 ± 0.0100 vs 3.0000 ± 0.0200 (3 vs 3 seeds); better by 0.1000, more than the spread 0.0300: better."</summary>
    public string Sentence(Func<double, string> format)
    {
        var head = $"{Method} vs {Baseline} on {Metric}: {format(MethodStat.Mean)} ± {Std(MethodStat, format)} vs {format(BaselineStat.Mean)} ± {Std(BaselineStat, format)} " +
                   $"({MethodStat.Seeds} vs {BaselineStat.Seeds} seeds); ";
        var direction = Improvement > 0 ? $"better by {format(Improvement)}" : Improvement < 0 ? $"worse by {format(-Improvement)}" : "no difference";
        string why = !HasSpread ? "fewer than 2 seeds on a side, so there is no spread to compare against"
            : Math.Abs(Improvement) > Spread ? $"more than the spread {format(Spread)}" : $"within the spread {format(Spread)}";
        return $"{head}{direction}, {why}: {Word}.";
    }

    private static string Std(SeedStat s, Func<double, string> format) => double.IsNaN(s.Std) ? "n/a" : format(s.Std);
}

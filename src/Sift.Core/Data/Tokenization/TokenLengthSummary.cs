namespace Sift.Data.Tokenization;

/// <summary>Percentiles of a length distribution, by the nearest-rank method (the p-th percentile is the ⌈p·n/100⌉-th smallest value).</summary>
public sealed record TokenLengthSummary(long P50, long P90, long P99, long Max, long Total, long Count)
{
    public static TokenLengthSummary Of(IEnumerable<long> lengths)
    {
        var sorted = lengths.Order().ToArray();
        if (sorted.Length == 0) return new TokenLengthSummary(0, 0, 0, 0, 0, 0);
        long Rank(int p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length / 100.0) - 1)];
        return new TokenLengthSummary(Rank(50), Rank(90), Rank(99), sorted[^1], sorted.Sum(), sorted.Length);
    }
}

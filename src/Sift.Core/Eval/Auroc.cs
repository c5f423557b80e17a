namespace Sift.Eval;

/// <summary>
/// Area under the ROC curve of a score as a detector of positives (e.g. injected noise): the
/// probability that a random positive scores higher than a random negative, ties counting one
/// half (the Mann–Whitney U statistic divided by n⁺·n⁻). NaN scores are excluded.
/// </summary>
public static class Auroc
{
    /// <returns>AUROC in [0, 1], or NaN when either class is empty.</returns>
    public static double Compute(IReadOnlyList<double> scores, IReadOnlyList<bool> isPositive)
    {
        if (scores.Count != isPositive.Count) throw new ArgumentException("scores and labels differ in length");
        var rows = scores.Zip(isPositive).Where(r => !double.IsNaN(r.First)).OrderBy(r => r.First).ToArray();
        long positives = rows.LongCount(r => r.Second), negatives = rows.Length - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        // Sum of the (average, for ties) ranks of the positives.
        double rankSum = 0;
        for (int i = 0; i < rows.Length;)
        {
            int j = i;
            while (j < rows.Length && rows[j].First == rows[i].First) j++;
            double averageRank = (i + 1 + j) / 2.0;
            for (int k = i; k < j; k++) if (rows[k].Second) rankSum += averageRank;
            i = j;
        }
        double u = rankSum - positives * (positives + 1) / 2.0;
        return u / ((double)positives * negatives);
    }

    /// <summary>AUROC of a score whose doubtful end is <paramref name="orientation"/> (+1 high, −1 low); below 0.5 when it flags the wrong examples.</summary>
    public static double Compute(IReadOnlyList<double> scores, IReadOnlyList<bool> isPositive, int orientation) =>
        orientation switch
        {
            +1 => Compute(scores, isPositive),
            -1 => Compute(scores.Select(s => -s).ToArray(), isPositive),
            _ => throw new ArgumentOutOfRangeException(nameof(orientation), orientation, "orientation is +1 or -1"),
        };
}

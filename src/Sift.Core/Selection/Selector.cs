namespace Sift.Selection;

/// <summary>The rows (table positions) of each named subset, and what was left out and why.</summary>
public sealed record SelectionOutcome(IReadOnlyList<(string Name, int[] Rows)> Subsets, int Eligible, int NonFinite, int Filtered, IReadOnlyList<string> Notes);

/// <summary>The selection arithmetic, on plain arrays: ranking, ties, strata, amounts.</summary>
public static class Selector
{
    /// <param name="values">The value of each row (NaN or ±inf: never selected).</param>
    /// <param name="positions">Each row's position in the data file, the tie-break (earlier ranks first).</param>
    /// <param name="strata">Each row's stratum, or null.</param>
    public static SelectionOutcome Select(SelectionPolicy policy, double[] values, long[] positions, string[]? strata)
    {
        policy.Validate();
        var notes = new List<string>();
        int nonFinite = 0, filtered = 0;
        var eligible = new List<int>();
        for (int r = 0; r < values.Length; r++)
        {
            if (!double.IsFinite(values[r])) { nonFinite++; continue; }
            if (values[r] > policy.DropAbove || values[r] < policy.DropBelow) { filtered++; continue; }
            eligible.Add(r);
        }
        var groups = strata == null
            ? [eligible]
            : eligible.GroupBy(r => strata[r], StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        var ranked = groups.Select(g => Rank(g, values, positions, policy.Order)).ToList();

        List<(string, int[])> subsets;
        switch (policy.Amount)
        {
            case SelectionAmount.Threshold t:
                subsets = [(policy.Names[0], ranked[0].Where(r => policy.Order == RankOrder.Highest ? values[r] >= t.X : values[r] <= t.X).ToArray())];
                break;
            case SelectionAmount.Split s:
            {
                var high = new List<int>();
                var low = new List<int>();
                foreach (var g in ranked)
                {
                    int lowCount = (int)Math.Floor(g.Count * s.Q);
                    high.AddRange(g.Take(g.Count - lowCount));
                    low.AddRange(g.Skip(g.Count - lowCount));
                }
                subsets = [(policy.Names[0], high.ToArray()), (policy.Names[1], low.ToArray())];
                break;
            }
            default:
            {
                int k = policy.Amount is SelectionAmount.TopK top ? top.K : (int)Math.Floor(((SelectionAmount.Fraction)policy.Amount).F * values.Length + 1e-9);
                if (k > eligible.Count)
                {
                    notes.Add($"asked for {k} examples but only {eligible.Count} are eligible; all of them are selected");
                    k = eligible.Count;
                }
                var quotas = Allocate(k, ranked.Select(g => g.Count).ToArray());
                var chosen = new List<int>();
                for (int i = 0; i < ranked.Count; i++) chosen.AddRange(Take(ranked[i], quotas[i], policy.Order));
                subsets = [(policy.Names[0], chosen.ToArray())];
                break;
            }
        }
        if (nonFinite > 0) notes.Add($"{nonFinite} rows have no finite value in the ranking column (unscorable) and are never selected");
        return new SelectionOutcome(subsets, eligible.Count, nonFinite, filtered, notes);
    }

    /// <summary>Ranked rows: by value (descending for Highest, ascending otherwise), ties by file position.</summary>
    private static List<int> Rank(List<int> rows, double[] values, long[] positions, RankOrder order) =>
        (order == RankOrder.Highest
            ? rows.OrderByDescending(r => values[r]).ThenBy(r => positions[r])
            : rows.OrderBy(r => values[r]).ThenBy(r => positions[r])).ToList();

    /// <summary>The first k of a ranking, or for Middle the k around the median (percentile ranks [½ − f/2, ½ + f/2]).</summary>
    private static IEnumerable<int> Take(List<int> ranked, int k, RankOrder order) =>
        order == RankOrder.Middle ? ranked.Skip((ranked.Count - k) / 2).Take(k) : ranked.Take(k);

    /// <summary>Splits k over strata in proportion to their sizes (largest remainder; ties to the earlier stratum), never above a stratum's size.</summary>
    public static int[] Allocate(int k, int[] sizes)
    {
        int total = sizes.Sum();
        if (total == 0) return new int[sizes.Length];
        var quotas = sizes.Select(s => (int)Math.Floor((double)k * s / total)).ToArray();
        var byRemainder = Enumerable.Range(0, sizes.Length)
            .OrderByDescending(i => (double)k * sizes[i] / total - quotas[i]).ThenBy(i => i).ToList();
        int left = k - quotas.Sum();
        for (int j = 0; left > 0; j = (j + 1) % sizes.Length)
        {
            int i = byRemainder[j];
            if (quotas[i] < sizes[i]) { quotas[i]++; left--; }
        }
        return quotas;
    }
}

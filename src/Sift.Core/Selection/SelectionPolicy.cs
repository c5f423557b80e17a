namespace Sift.Selection;

/// <summary>Which end of the ranking is kept: the highest values, the lowest, or the middle (nearest the median).</summary>
public enum RankOrder { Highest, Lowest, Middle }

/// <summary>How much is kept.</summary>
public abstract record SelectionAmount
{
    /// <summary>The first K of the ranking.</summary>
    public sealed record TopK(int K) : SelectionAmount;
    /// <summary>The first floor(F × rows of the table) of the ranking (a share of the whole scored pool).</summary>
    public sealed record Fraction(double F) : SelectionAmount;
    /// <summary>Every row at or above X (Highest) or at or below X (Lowest).</summary>
    public sealed record Threshold(double X) : SelectionAmount;
    /// <summary>Two subsets: of n ranked rows the last floor(n × Q) go to the second name, the rest to the first (Q = 0.5: the median split).</summary>
    public sealed record Split(double Q) : SelectionAmount;
}

/// <summary>
/// A selection: rank the rows with a finite value in <see cref="Column"/> (or a seeded random
/// value) by <see cref="Order"/>, ties broken by the example's position in the data file, drop
/// rows outside the filters, and keep <see cref="Amount"/>, within each stratum when
/// <see cref="Stratify"/> names a column.
/// </summary>
public sealed record SelectionPolicy
{
    public string? Column { get; init; }
    /// <summary>When set, rank by RandomScore(seed, id) instead of a column.</summary>
    public long? RandomSeed { get; init; }
    public RankOrder Order { get; init; } = RankOrder.Highest;
    public required SelectionAmount Amount { get; init; }
    /// <summary>Rows with a value above this are not eligible (IFD: 1).</summary>
    public double? DropAbove { get; init; }
    /// <summary>Rows with a value below this are not eligible.</summary>
    public double? DropBelow { get; init; }
    public string? Stratify { get; init; }
    /// <summary>Subset names: one for a plain selection, two for a split.</summary>
    public IReadOnlyList<string> Names { get; init; } = ["selected"];

    public void Validate()
    {
        if ((Column == null) == (RandomSeed == null)) throw new SiftException("give a score --column to rank by, or --random SEED (not both)");
        switch (Amount)
        {
            case SelectionAmount.TopK { K: < 0 } k: throw new SiftException($"--top-k must be at least 0, got {k.K}");
            case SelectionAmount.Fraction f when !(f.F >= 0 && f.F <= 1): throw new SiftException($"--fraction must lie in [0, 1], got {f.F}");
            case SelectionAmount.Split s when !(s.Q > 0 && s.Q < 1): throw new SiftException($"--split must lie strictly between 0 and 1 (0.5 = median), got {s.Q}");
            case SelectionAmount.Threshold t when !double.IsFinite(t.X): throw new SiftException("--threshold must be a finite number");
            case SelectionAmount.Threshold when Order == RankOrder.Middle: throw new SiftException("--threshold keeps one end of the ranking; it does not combine with --order middle");
            case SelectionAmount.Threshold when Stratify != null: throw new SiftException("--stratify has no effect with --threshold (every stratum uses the same cut); leave one of them out");
        }
        int expected = Amount is SelectionAmount.Split ? 2 : 1;
        if (Names.Count != expected)
            throw new SiftException($"--names: {(expected == 2 ? "a split writes two subsets; give two names, e.g. confident,unconfident" : "give one subset name")}");
        if (Names.Distinct().Count() != Names.Count || Names.Any(n => n.Length == 0 || n.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || n.Contains('.')))
            throw new SiftException($"--names: '{string.Join(",", Names)}' must be distinct plain file names without dots");
        if (DropAbove is double a && DropBelow is double b && a < b) throw new SiftException($"--drop-above {a} is below --drop-below {b}: nothing would be eligible");
    }
}

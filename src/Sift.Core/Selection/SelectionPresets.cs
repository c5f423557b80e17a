namespace Sift.Selection;

/// <summary>The selection one method's paper uses (docs/SCORING.md, "Presets"); explicit choices override any part (<see cref="SelectionChoices"/>).</summary>
/// <param name="Summary">What it keeps, in a few words, for `sift select --help`.</param>
/// <param name="Column">The column it ranks by; null: the seeded random score (seed 0).</param>
/// <param name="SplitNames">The two subsets' names when its amount is a split.</param>
public sealed record SelectionPreset(string Name, string Summary, string? Column, RankOrder Order, SelectionAmount Amount,
    double? DropAbove = null, IReadOnlyList<string>? SplitNames = null);

public static class SelectionPresets
{
    public static IReadOnlyList<SelectionPreset> All { get; } =
    [
        new("sftmix", "median split of sftmix_confidence into confident/unconfident", "sftmix_confidence", RankOrder.Highest, new SelectionAmount.Split(0.5),
            SplitNames: ["confident", "unconfident"]),
        new("lobass", "top 6% by S", "S", RankOrder.Highest, new SelectionAmount.Fraction(0.06)),
        new("ifd", "drop ifd_loss_ratio > 1, top 6%", "ifd_loss_ratio", RankOrder.Highest, new SelectionAmount.Fraction(0.06), DropAbove: 1.0),
        new("cartography", "top 33% by variability", "variability", RankOrder.Highest, new SelectionAmount.Fraction(0.33)),
        new("perplexity", "middle 6%", "perplexity", RankOrder.Middle, new SelectionAmount.Fraction(0.06)),
        new("random", "6%", Column: null, RankOrder.Highest, new SelectionAmount.Fraction(0.06)),
    ];

    /// <summary>"sftmix (median split ...), lobass (top 6% by S), ...": every preset and what it keeps.</summary>
    public static string Described => string.Join(", ", All.Select(p => $"{p.Name} ({p.Summary})"));

    public static SelectionPreset Named(string name) => All.FirstOrDefault(p => p.Name == name)
        ?? throw new SiftException($"--preset '{name}' is unknown; use one of {string.Join(", ", All.Select(p => p.Name))}");
}

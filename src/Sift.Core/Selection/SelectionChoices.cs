using System.Globalization;

namespace Sift.Selection;

/// <summary>What `sift select` was asked for, as given: a preset and explicit choices, each explicit one overriding the preset's.</summary>
public sealed record SelectionChoices
{
    public string? Preset { get; init; }
    public string? Column { get; init; }
    public long? RandomSeed { get; init; }
    /// <summary>highest, lowest or middle.</summary>
    public string? Order { get; init; }
    public int? TopK { get; init; }
    public double? Fraction { get; init; }
    public double? Threshold { get; init; }
    /// <summary>"median" or a quantile Q.</summary>
    public string? Split { get; init; }
    public double? DropAbove { get; init; }
    public double? DropBelow { get; init; }
    public string? Stratify { get; init; }
    public IReadOnlyList<string>? Names { get; init; }

    public SelectionPolicy Policy()
    {
        var preset = Preset == null ? null : SelectionPresets.Named(Preset);
        var amounts = new List<SelectionAmount>();
        if (TopK is int k) amounts.Add(new SelectionAmount.TopK(k));
        if (Fraction is double f) amounts.Add(new SelectionAmount.Fraction(f));
        if (Threshold is double t) amounts.Add(new SelectionAmount.Threshold(t));
        if (Split is { } q) amounts.Add(new SelectionAmount.Split(ParseSplit(q)));
        if (amounts.Count > 1) throw new SiftException("give one of --top-k, --fraction, --threshold, --split");
        var amount = amounts.FirstOrDefault() ?? preset?.Amount
                     ?? throw new SiftException("say how much to keep: --top-k K, --fraction F, --threshold X or --split median (or a --preset)");
        // The random preset ranks by the random score of seed 0; a random ranking has no column of its own.
        long? seed = RandomSeed ?? (preset is { Column: null } ? 0 : null);
        return new SelectionPolicy
        {
            Column = seed != null ? Column : Column ?? preset?.Column,
            RandomSeed = seed,
            Order = Order is { } o ? ParseOrder(o) : preset?.Order ?? RankOrder.Highest,
            Amount = amount,
            DropAbove = DropAbove ?? preset?.DropAbove,
            DropBelow = DropBelow,
            Stratify = Stratify,
            Names = Names ?? (amount is SelectionAmount.Split ? preset?.SplitNames ?? ["confident", "unconfident"] : ["selected"]),
        };
    }

    private static double ParseSplit(string text) =>
        text == "median" ? 0.5
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var q) ? q
        : throw new SiftException($"--split '{text}': give 'median' or a quantile between 0 and 1");

    private static RankOrder ParseOrder(string text) => text switch
    {
        "highest" => RankOrder.Highest,
        "lowest" => RankOrder.Lowest,
        "middle" => RankOrder.Middle,
        _ => throw new SiftException($"--order '{text}': use highest, lowest or middle"),
    };
}

using System.Globalization;

namespace Sift.Scoring;

/// <summary>
/// A column of a score table: what it holds (written into every table's .meta.json) and, for a score, which end of it
/// flags an example as doubtful, fixed from the method's definition before any label is seen, so that a noise-detection
/// AUROC below 0.5 means the method flags the wrong examples (docs/SCORING.md, "Orientation").
/// </summary>
/// <param name="Name">The column's name; for a <see cref="Numbered"/> column the prefix of its names ("loss_" of loss_1..loss_C).</param>
/// <param name="Description">What it holds; for a numbered column a format whose {0} is the number.</param>
public sealed record ScoreColumnInfo(string Name, string Description)
{
    /// <summary>+1: a high value flags the example, −1: a low value does; null: no score (ids, counts, model paths, sums).</summary>
    public int? FlagsDoubtful { get; init; }

    /// <summary>One column per checkpoint or epoch c = 1..C, named <see cref="Name"/> + c.</summary>
    public bool Numbered { get; init; }

    /// <summary>The description when Cartography's p_c is the arithmetic-mean token probability (<see cref="TokenMean.Arithmetic"/>); null: no different.</summary>
    public string? ArithmeticDescription { get; init; }

    public bool Matches(string column) => Numbered ? column.StartsWith(Name, StringComparison.Ordinal) : column == Name;

    public string Describe(string column, TokenMean tokenMean) =>
        tokenMean == TokenMean.Arithmetic && ArithmeticDescription != null ? ArithmeticDescription
        : Numbered ? string.Format(CultureInfo.InvariantCulture, Description, column[Name.Length..])
        : Description;
}

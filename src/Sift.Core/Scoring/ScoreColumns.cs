namespace Sift.Scoring;

/// <summary>
/// What each score-table column means and which end of a score flags an example: the columns of several methods are
/// declared here, each method's own in its file (<see cref="IScoreMethod.Columns"/>), and this catalog gathers them from
/// the registry for the .meta.json of every table, plots, reports and `sift eval auroc`.
/// </summary>
public static class ScoreColumns
{
    public static readonly ScoreColumnInfo Id = new(ScoreTable.IdColumn, "example id (the data file's id field, or the content id)");
    public static readonly ScoreColumnInfo Index = new("index", "0-based position of the example in the data file");
    public static readonly ScoreColumnInfo Tokens = new("n_tokens", "number of response (trained) tokens T");

    private static readonly Lazy<IReadOnlyList<ScoreColumnInfo>> Catalog = new(() =>
        new[] { Id, Index }.Concat(ScoreMethods.All.SelectMany(m => m.Columns)).DistinctBy(c => c.Name).ToList());

    private static readonly Lazy<IReadOnlyList<string>> NumericNames = new(() =>
        All.Where(c => c.FlagsDoubtful != null && !c.Numbered).Select(c => c.Name).ToList());

    /// <summary>Every column a table may hold: id, index, then each registered method's, in registry order.</summary>
    public static IReadOnlyList<ScoreColumnInfo> All => Catalog.Value;

    /// <summary>Every numeric score column a table may hold (the oriented ones but the numbered), in the order reports and plots show them.</summary>
    public static IReadOnlyList<string> Numeric => NumericNames.Value;

    /// <summary>The declared orientation of a column (per-checkpoint loss_c and accuracy_c included), or null.</summary>
    public static int? Orientation(string name) => Find(name)?.FlagsDoubtful;

    /// <summary>The description of a column, including the numbered per-checkpoint ones; <paramref name="tokenMean"/> says what p_c is.</summary>
    public static string Describe(string name, TokenMean tokenMean = TokenMean.Geometric) => Find(name)?.Describe(name, tokenMean) ?? "";

    private static ScoreColumnInfo? Find(string name) =>
        All.FirstOrDefault(c => !c.Numbered && c.Name == name) ?? All.FirstOrDefault(c => c.Numbered && c.Matches(name));
}

namespace Sift.Scoring;

/// <summary>The table of a score method: id, the data-file position when the inputs have one, then the method's columns.</summary>
public static class ScoreTables
{
    /// <param name="ids">The rows, in table order.</param>
    /// <param name="index">Each row's 0-based position among the data file's examples; null for inputs without one (recorded dynamics).</param>
    /// <param name="passes">Each pass's statistics of the rows, in the method's pass order.</param>
    public static ScoreTable Build(IScoreMethod method, string[] ids, long[]? index, IReadOnlyList<PassStatistics> passes, MethodSettings settings) =>
        new([
            new ScoreColumn(ScoreColumns.Id.Name, ids),
            .. index == null ? Array.Empty<ScoreColumn>() : [new ScoreColumn(ScoreColumns.Index.Name, index)],
            .. method.Compute(new ScoreInput(ids, passes, settings)),
        ]);
}

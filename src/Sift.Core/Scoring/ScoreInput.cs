namespace Sift.Scoring;

/// <summary>What a method computes its columns from: the rows' ids, each pass's statistics of them (in the order of its passes, or of the recorded epochs), and its settings.</summary>
public sealed record ScoreInput(string[] Ids, IReadOnlyList<PassStatistics> Passes, MethodSettings Settings)
{
    /// <summary>A text column holding <paramref name="value"/> in every row (the model folder a pass scored with, say).</summary>
    public ScoreColumn Repeat(string name, string value) => new(name, Ids.Select(_ => value).ToArray());
}

/// <summary>
/// One pass's statistics of every row, in row order: a model's teacher-forced pass over the data, or one epoch of the
/// losses a trainer recorded (which has means, not sums: its <see cref="NllSum"/> is NaN).
/// </summary>
/// <param name="ModelDir">The model folder of a model pass; null for a recorded epoch.</param>
/// <param name="Loss">L, the mean response-token loss.</param>
/// <param name="Accuracy">The share of response tokens predicted greedily.</param>
/// <param name="MeanProbability">(1/T) Σ_t p(y_t) (NaN where not recorded).</param>
public sealed record PassStatistics(string Name, string? ModelDir, long[] Tokens, double[] NllSum, double[] Loss, double[] Accuracy, double[] MeanProbability)
{
    /// <summary>The statistics of a model pass, <paramref name="rows"/> in row order.</summary>
    public static PassStatistics Of(ScorePass pass, IReadOnlyList<ExampleStats> rows) => new(pass.Name, pass.ModelDir,
        rows.Select(r => (long)r.Tokens).ToArray(), rows.Select(r => r.NllSum).ToArray(), rows.Select(r => r.Loss).ToArray(),
        rows.Select(r => r.Accuracy).ToArray(), rows.Select(r => r.MeanProbability).ToArray());

    /// <summary>The full path of the pass's model folder.</summary>
    public string ModelPath => Path.GetFullPath(ModelDir ?? throw new InvalidOperationException($"pass '{Name}' ran no model"));

    /// <summary>Throws unless <paramref name="other"/> scored as many response tokens of every example: two passes over the same response tokens.</summary>
    public void RequireSameTokens(PassStatistics other, string[] ids)
    {
        for (int r = 0; r < Tokens.Length; r++)
            if (Tokens[r] != other.Tokens[r])
                throw new InvalidOperationException($"example '{ids[r]}': pass '{other.Name}' scored {other.Tokens[r]} tokens, pass '{Name}' {Tokens[r]}");
    }
}

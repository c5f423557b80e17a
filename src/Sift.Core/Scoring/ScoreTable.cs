namespace Sift.Scoring;

/// <summary>One named column: string[], long[], double[] or bool[] values, one per row.</summary>
public sealed record ScoreColumn(string Name, Array Values)
{
    public Type ElementType => Values.GetType().GetElementType()!;
}

/// <summary>
/// A table of per-example values keyed by the "id" column, the output of `sift score` and the
/// input of `sift select` and plots. Column-oriented; every column has one value per row.
/// </summary>
public sealed class ScoreTable
{
    public const string IdColumn = "id";

    private readonly Dictionary<string, ScoreColumn> _byName;

    public ScoreTable(IReadOnlyList<ScoreColumn> columns)
    {
        if (columns.Count == 0 || columns[0].Name != IdColumn || columns[0].Values is not string[])
            throw new ArgumentException("the first column of a score table is the string column 'id'");
        Columns = columns;
        RowCount = columns[0].Values.Length;
        _byName = new Dictionary<string, ScoreColumn>(StringComparer.Ordinal);
        foreach (var c in columns)
        {
            if (c.Values.Length != RowCount) throw new ArgumentException($"column '{c.Name}' has {c.Values.Length} values, the table {RowCount} rows");
            if (c.Values is not (string[] or long[] or double[] or bool[])) throw new ArgumentException($"column '{c.Name}': unsupported type {c.ElementType}");
            if (!_byName.TryAdd(c.Name, c)) throw new ArgumentException($"column '{c.Name}' appears twice");
        }
    }

    public IReadOnlyList<ScoreColumn> Columns { get; }
    public int RowCount { get; }
    public string[] Ids => (string[])Columns[0].Values;

    public bool Has(string name) => _byName.ContainsKey(name);

    public ScoreColumn Column(string name, string source) => _byName.TryGetValue(name, out var c) ? c
        : throw new SiftException($"{source}: no column '{name}'; the table has {string.Join(", ", Columns.Select(x => x.Name))}");

    /// <summary>A numeric or boolean column as doubles (true = 1).</summary>
    public double[] Numbers(string name, string source) => Column(name, source).Values switch
    {
        double[] d => d,
        long[] l => l.Select(x => (double)x).ToArray(),
        bool[] b => b.Select(x => x ? 1.0 : 0.0).ToArray(),
        _ => throw new SiftException($"{source}: column '{name}' holds text, not numbers"),
    };

    /// <summary>Any column as text (numbers in invariant round-trip form), e.g. for strata.</summary>
    public string[] Texts(string name, string source) => Column(name, source).Values switch
    {
        string[] s => s,
        long[] l => l.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        double[] d => d.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
        bool[] b => b.Select(x => x ? "true" : "false").ToArray(),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The rows at <paramref name="rows"/>, in that order.</summary>
    public ScoreTable Take(IReadOnlyList<int> rows) =>
        new(Columns.Select(c => new ScoreColumn(c.Name, Pick(c.Values, rows))).ToList());

    /// <summary>Row-wise concatenation of tables with the same columns.</summary>
    public static ScoreTable Concat(IReadOnlyList<ScoreTable> tables)
    {
        var first = tables[0];
        var columns = new List<ScoreColumn>();
        foreach (var c in first.Columns)
        {
            var parts = tables.Select(t => t.Column(c.Name, "table").Values).ToList();
            var all = Array.CreateInstance(c.ElementType, parts.Sum(p => p.Length));
            int at = 0;
            foreach (var p in parts)
            {
                if (p.GetType() != c.Values.GetType()) throw new SiftException($"column '{c.Name}' has different types in the tables being joined");
                Array.Copy(p, 0, all, at, p.Length);
                at += p.Length;
            }
            columns.Add(new ScoreColumn(c.Name, all));
        }
        return new ScoreTable(columns);
    }

    private static Array Pick(Array values, IReadOnlyList<int> rows)
    {
        var result = Array.CreateInstance(values.GetType().GetElementType()!, rows.Count);
        for (int i = 0; i < rows.Count; i++) result.SetValue(values.GetValue(rows[i]), i);
        return result;
    }
}

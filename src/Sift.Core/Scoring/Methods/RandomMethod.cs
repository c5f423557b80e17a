namespace Sift.Scoring.Methods;

/// <summary>Random selection's score (docs/METHODS.md, Random selection): <see cref="RandomScore"/> of each example's id, from the data file alone.</summary>
public sealed class RandomMethod : IScoreMethod
{
    public string Name => "random";
    public string Title => "random";
    public string Help =>
        "Random score: uniform [0, 1) from SHA-256(\"{seed}:{id}\"), the same in every shard and file order. Writes OUT.parquet, OUT.jsonl, OUT.meta.json.";
    public ScoreInputs Inputs => ScoreInputs.DataOnly;
    public IReadOnlyList<MethodSetting> Settings => [MethodSetting.Seed];
    public IReadOnlyList<ScoreColumnInfo> Columns { get; } = [new("random", "uniform [0, 1) from SHA-256(\"{seed}:{id}\")") { FlagsDoubtful = +1 }];

    public IReadOnlyList<ScorePass> Passes(IReadOnlyList<string> models) => [];

    public IEnumerable<ScoreColumn> Compute(ScoreInput input) => [new("random", input.Ids.Select(id => RandomScore.Of(input.Settings.Seed, id)).ToArray())];
}

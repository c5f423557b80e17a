namespace Sift.Scoring.Methods;

/// <summary>
/// The statistics of <see cref="ConfidenceMethod"/> from the losses the trainer recorded (<see cref="TrainingDynamics"/>),
/// one pass per complete epoch: no forward passes.
/// </summary>
public sealed class DynamicsMethod : IScoreMethod
{
    public string Name => "dynamics";
    public string Title => "training dynamics";
    public string Help =>
        "The statistics of `sift score confidence`, from the losses the trainer recorded (RUN/training_dynamics.jsonl; " +
        "complete epochs only, at least 2). No forward passes. Writes OUT.parquet, OUT.jsonl, OUT.meta.json.";
    public ScoreInputs Inputs => ScoreInputs.TrainingDynamics;
    public IReadOnlyList<MethodSetting> Settings => [MethodSetting.Epochs, MethodSetting.TokenMean];
    public IReadOnlyList<ScoreColumnInfo> Columns => ConfidenceMethod.StatisticColumns;

    public IReadOnlyList<ScorePass> Passes(IReadOnlyList<string> models) => [];

    public IEnumerable<ScoreColumn> Compute(ScoreInput input) => ConfidenceMethod.Statistics(input);
}

using Sift.IO;

namespace Sift.Scoring;

/// <summary>Everything one `sift score` run over a training run's recorded dynamics needs.</summary>
public sealed record DynamicsScoreJobSettings
{
    /// <summary>A method computed from recorded training dynamics (<see cref="ScoreInputs.TrainingDynamics"/>).</summary>
    public required IScoreMethod Method { get; init; }
    /// <summary>The training_dynamics.jsonl a training run recorded.</summary>
    public required string DynamicsPath { get; init; }
    /// <summary>Output path without extension.</summary>
    public required string OutStem { get; init; }
    public MethodSettings Settings { get; init; } = new();
}

public sealed record DynamicsScoreJobResult(string Stem, ScoreMeta Meta, IReadOnlyList<int> Epochs, IReadOnlyList<int> IncompleteEpochs, bool TornLastLine);

/// <summary>
/// Scores the examples of a training run from the losses its trainer recorded (<see cref="TrainingDynamics"/>), without a
/// forward pass, and writes the method's table as STEM.parquet, STEM.jsonl and STEM.meta.json atomically.
/// </summary>
public static class DynamicsScoreJob
{
    public static DynamicsScoreJobResult Run(DynamicsScoreJobSettings s, JobContext context)
    {
        var method = s.Method;
        if (method.Inputs != ScoreInputs.TrainingDynamics) throw new ArgumentException($"'{method.Name}' is not computed from recorded dynamics but from {method.Inputs}");
        var path = s.DynamicsPath;
        var records = TrainingDynamics.Read(path, out bool torn);
        var tokenMean = method.Takes(MethodSetting.TokenMean) ? s.Settings.TokenMean : TokenMean.Geometric;
        var epochs = TrainingDynamics.Epochs(records, path, method.Takes(MethodSetting.Epochs) ? s.Settings.Epochs : null, tokenMean);
        var table = ScoreTables.Build(method, epochs.Ids, index: null, epochs.Passes, s.Settings);
        var stem = s.OutStem;
        var sha256 = ContentHash.OfFile(path); // the dynamics file is both the data and the fingerprint
        var meta = new ScoreMeta
        {
            Kind = method.Name,
            Fingerprint = sha256,
            DataPath = Path.GetFullPath(path),
            DataSha256 = sha256,
            Passes = epochs.Passes.Select(p => p.Name).ToList(),
            TokenMean = ScoreMeta.TokenMeanField(tokenMean),
            Assigned = table.RowCount,
            Scored = table.RowCount,
            Columns = ScoreMeta.Describe(table, tokenMean),
        };
        context.Cancel.ThrowIfCancellationRequested();
        ScoreTableFiles.WriteBoth(table, stem);
        meta.Write(ScoreMeta.PathFor(stem));
        return new DynamicsScoreJobResult(stem, meta, epochs.Epochs, epochs.IncompleteEpochs, torn);
    }
}

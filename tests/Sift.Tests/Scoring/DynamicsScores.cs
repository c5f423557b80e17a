using Sift.Scoring;
using Sift.Training;

namespace Sift.Tests.Scoring;

/// <summary>Runs `sift score dynamics`'s job on the run folder holding <c>path</c> (a training_dynamics.jsonl) and reads back its table.</summary>
internal static class DynamicsScores
{
    public static (DynamicsScoreJobResult Result, ScoreTable Table) Run(string path, int? epochs = null, TokenMean tokenMean = TokenMean.Geometric)
    {
        Assert.Equal(RunFiles.Dynamics.Name, Path.GetFileName(path));
        var result = DynamicsScoreJob.Run(new DynamicsScoreJobSettings
        {
            Method = ScoreMethods.Named("dynamics"),
            DynamicsPath = path,
            OutStem = new RunFolder(Path.GetDirectoryName(path)!).DynamicsScoresStem,
            Settings = new MethodSettings { Epochs = epochs, TokenMean = tokenMean },
        }, JobContext.Silent);
        return (result, ScoreTableFiles.Read(result.Stem + ".parquet"));
    }
}

using Sift.Scoring;

namespace Sift.Tests.Scoring;

/// <summary>Scoring what `sift train` actually writes: confidence checkpoints and training dynamics.</summary>
public class TrainerOutputScoringTests
{
    [Fact]
    public void ConfidenceAndDynamicsScoreARealTrainingRun()
    {
        var ws = new ScoringWorkspace();
        var run = ws.Out("run");
        var (code, _, stderr) = CliRunner.Run("train", "--model", ws.Model, "--data", ws.Data, "--output-dir", run,
            "--set", "schedule.num_train_epochs=2", "--set", "schedule.per_device_train_batch_size=4", "--set", "optimizer.learning_rate=1e-3",
            "--set", "output.confidence_checkpoints=2", "--set", "output.record_dynamics=true");
        Assert.True(code == 0, stderr);

        (code, var stdout, stderr) = CliRunner.Run("score", "dynamics", "--run", run);
        Assert.True(code == 0, stderr);
        Assert.Contains("over epochs", stdout);
        var dynamics = ScoreTableFiles.Read(Path.Combine(run, "dynamics_scores.parquet"));
        Assert.Equal(ws.Count, dynamics.RowCount);
        Assert.All(dynamics.Numbers("epochs", "t"), e => Assert.Equal(2, e));

        // The trainer records each example's mean token probability, so the arithmetic token mean works from the
        // log too; per example and epoch it is at least the geometric mean exp(−L) (AM–GM), and so is their average.
        (code, _, stderr) = CliRunner.Run("score", "dynamics", "--run", run, "--token-mean", "arithmetic", "--out", ws.Out("dyn-arith"));
        Assert.True(code == 0, stderr);
        var arithmetic = ScoreTableFiles.Read(ws.Out("dyn-arith") + ".parquet");
        Assert.Equal("arithmetic", ScoreMeta.Read(ScoreMeta.PathFor(ws.Out("dyn-arith"))).TokenMean);
        var (geo, arith) = (dynamics.Numbers("confidence", "t"), arithmetic.Numbers("confidence", "t"));
        Assert.All(Enumerable.Range(0, dynamics.RowCount), r => Assert.True(geo[r] <= arith[r] * (1 + 1e-12), $"row {r}: {geo[r]} > {arith[r]}"));

        (code, _, stderr) = CliRunner.Run("score", "confidence", "--data", ws.Data, "--run", run, "--out", ws.Out("conf"));
        Assert.True(code == 0, stderr);
        var confidence = ScoreTableFiles.Read(ws.Out("conf") + ".parquet");
        Assert.Equal(dynamics.Ids.Order(), confidence.Ids.Order());
        Assert.All(confidence.Numbers("epochs", "t"), e => Assert.Equal(2, e));
        Assert.All(confidence.Numbers("sftmix_confidence", "t"), v => Assert.True(v < -1));
    }
}

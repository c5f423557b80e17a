using Sift.Scoring;
using Sift.Training;

namespace Sift.Tests.Scoring;

public class TrainingDynamicsTests
{
    private static string Row(long step, int epoch, string id, double loss, double accuracy, int tokens = 4) =>
        FormattableString.Invariant($"{{\"step\": {step}, \"epoch\": {epoch}, \"id\": \"{id}\", \"loss\": {loss}, \"tokens\": {tokens}, \"accuracy\": {accuracy}}}");

    private static string Write(params string[] lines)
    {
        var path = Path.Combine(Paths.NewTempDir(), RunFiles.Dynamics.Name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void StatisticsPerEpochMatchHandComputedValues()
    {
        var path = Write(
            Row(1, 0, "a", 1.0, 0.5), Row(1, 0, "b", 2.0, 0.25),
            Row(2, 1, "b", 1.5, 0.5), Row(2, 1, "a", 0.5, 0.75),
            Row(3, 2, "a", 0.25, 1.0));
        var (result, t) = DynamicsScores.Run(path);
        Assert.False(result.TornLastLine);
        Assert.Equal([0, 1], result.Epochs);
        Assert.Equal([2], result.IncompleteEpochs);
        Assert.Equal(["a", "b"], t.Ids);
        double pa0 = Math.Exp(-1.0), pa1 = Math.Exp(-0.5);
        Assert.Equal((pa0 + pa1) / 2, t.Numbers("confidence", "t")[0], 12);
        Assert.Equal(Math.Abs(pa0 - pa1) / 2, t.Numbers("variability", "t")[0], 12);
        Assert.Equal(1.25, t.Numbers("correctness", "t")[0], 12);
        Assert.Equal(-(Math.Exp(2.0) + Math.Exp(1.5)) / 2, t.Numbers("sftmix_confidence", "t")[1], 12);
        Assert.Equal(2, t.Numbers("epochs", "t")[1]);
        Assert.Equal(1.5, t.Numbers("loss_2", "t")[1]);
    }

    [Fact]
    public void RepeatedStepsCountOnceAndSeveralVisitsInAnEpochAverage()
    {
        var path = Write(
            Row(1, 0, "a", 9.0, 0.0), Row(1, 0, "a", 1.0, 0.5), // resumed run repeated step 1: the last record wins
            Row(2, 0, "a", 3.0, 0.5),
            Row(3, 1, "a", 0.5, 0.5)); // a second epoch: statistics need at least two
        var t = DynamicsScores.Run(path).Table;
        Assert.Equal(2.0, t.Numbers("loss_1", "t")[0], 12);
        Assert.Equal(0.5, t.Numbers("loss_2", "t")[0], 12);
    }

    [Fact]
    public void TornLastLineIsIgnoredAndDamageElsewhereIsNamed()
    {
        var path = Write(Row(1, 0, "a", 1.0, 0.5));
        File.AppendAllText(path, "{\"step\": 2, \"ep");
        var records = TrainingDynamics.Read(path, out bool torn);
        Assert.True(torn);
        Assert.Single(records);

        var bad = Write(Row(1, 0, "a", 1.0, 0.5), "{\"step\": 2, \"epoch\": 0, \"id\": \"b\", \"loss\": \"x\", \"tokens\": 3, \"accuracy\": 0}", Row(3, 0, "c", 1, 1));
        var error = Assert.Throws<SiftException>(() => TrainingDynamics.Read(bad, out _));
        Assert.Contains($"{RunFiles.Dynamics.Name}:2", error.Message);
        Assert.Contains("'loss'", error.Message);
    }

    [Fact]
    public void BurnOutUsesTheFirstEpochsOnly()
    {
        var path = Write(Row(1, 0, "a", 1.0, 0.5), Row(2, 1, "a", 2.0, 0.5), Row(3, 2, "a", 3.0, 0.5));
        Assert.Equal([0, 1], DynamicsScores.Run(path, epochs: 2).Result.Epochs);
        Assert.Contains("3 complete epochs", Assert.Throws<SiftException>(() => DynamicsScores.Run(path, epochs: 4)).Message);
    }
}

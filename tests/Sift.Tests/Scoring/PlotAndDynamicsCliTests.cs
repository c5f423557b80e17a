using Sift.Scoring;
using Sift.Training;

namespace Sift.Tests.Scoring;

public class PlotAndDynamicsCliTests
{
    private static readonly byte[] PngMagic = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [Fact]
    public void DynamicsFromARunFolderThenPlotsWithADataMap()
    {
        var run = Paths.NewTempDir("sift-run");
        var rng = new Random(1);
        var lines = new List<string>();
        for (int epoch = 0; epoch < 3; epoch++)
            for (int i = 0; i < 30; i++)
                lines.Add(FormattableString.Invariant(
                    $"{{\"step\": {epoch * 30 + i}, \"epoch\": {epoch}, \"id\": \"e{i}\", \"loss\": {rng.NextDouble() * 3}, \"tokens\": 5, \"accuracy\": {rng.NextDouble()}}}"));
        File.WriteAllText(Path.Combine(run, RunFiles.Dynamics.Name), string.Join("\n", lines) + "\n");
        var (code, stdout, stderr) = CliRunner.Run("score", "dynamics", "--run", run);
        Assert.True(code == 0, stderr);
        Assert.Contains("scored 30 examples over epochs 0, 1, 2", stdout);
        var table = ScoreTableFiles.Read(Path.Combine(run, "dynamics_scores.parquet"));
        Assert.Equal(30, table.RowCount);

        var plots = Path.Combine(run, "plots");
        (code, stdout, stderr) = CliRunner.Run("score", "plot", Path.Combine(run, "dynamics_scores.jsonl"), "--out", plots);
        Assert.True(code == 0, stderr);
        foreach (var name in new[] { "data_map.png", "hist_confidence.png", "hist_variability.png", "hist_sftmix_confidence.png", "hist_correctness.png" })
            Assert.Equal(PngMagic, File.ReadAllBytes(Path.Combine(plots, name))[..4]);
    }

    [Fact]
    public void PlotRefusesATableWithoutScores()
    {
        var dir = Paths.NewTempDir();
        var path = Path.Combine(dir, "t.jsonl");
        File.WriteAllText(path, "{\"id\":\"a\",\"index\":0}\n");
        var (code, _, stderr) = CliRunner.Run("score", "plot", path, "--out", dir);
        Assert.Equal(1, code);
        Assert.Contains("no score columns", stderr);
    }
}

public class ScoreHelpTests
{
    [Theory]
    [InlineData("learnability", "S = 1 - L_ref / L_base")]
    [InlineData("ifd", "ifd_loss_ratio = s(A|Q) / s(A)")]
    [InlineData("confidence", "sftmix_confidence = -(1/C) sum_c exp(L_c)")]
    [InlineData("perplexity", "PPL(i) = exp(L(i))")]
    public void HelpShowsTheFormula(string command, string formula)
    {
        var (code, stdout, _) = CliRunner.Run("score", command, "--help");
        Assert.Equal(0, code);
        Assert.Contains(formula, stdout.Replace("\n", " ").Replace("  ", " "));
    }
}

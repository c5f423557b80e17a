using Sift.Config;
using Sift.Scoring;
using Sift.Training;
using Sift.Training.Recipes;

namespace Sift.Tests.Scoring;

/// <summary>`sift score confidence --run` tokenizes as the run did (its sift_recipe.yaml), and refuses an option that contradicts it.</summary>
public class ScoreFromRunTests
{
    [Fact]
    public void ARunIsScoredAsItTrainedWithoutRepeatingItsSettings()
    {
        var ws = new ScoringWorkspace();
        var run = ws.Out("run");
        var (code, _, stderr) = CliRunner.Run("train", "--model", ws.Model, "--data", ws.Data, "--output-dir", run,
            "--set", "schedule.max_steps=4", "--set", "schedule.per_device_train_batch_size=4", "--set", "optimizer.learning_rate=1e-3",
            "--set", $"data.max_length={ScoringWorkspace.MaxLength}", "--set", "output.confidence_checkpoints=2");
        Assert.True(code == 0, stderr);
        var checkpoints = ConfidenceList.Folders(new RunFolder(run));
        string[] Plain(string name) => ["--data", ws.Data, "--out", ws.Out(name), "--batch-size", "4"];

        (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--run", run, .. Plain("from-run")]);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--checkpoints", .. checkpoints, .. ws.Common("as-trained")]);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--checkpoints", .. checkpoints, .. Plain("defaults")]);
        Assert.True(code == 0, stderr);

        var fromRun = ScoreTableFiles.Read(ws.Out("from-run") + ".parquet");
        var asTrained = ScoreTableFiles.Read(ws.Out("as-trained") + ".parquet");
        Assert.Equal(asTrained.Ids, fromRun.Ids);
        foreach (var column in asTrained.Columns.Skip(1)) Assert.Equal(column.Values, fromRun.Column(column.Name, "from-run").Values);
        Assert.Equal(Meta(ws, "as-trained").Fingerprint, Meta(ws, "from-run").Fingerprint);
        // Without the run's max_length the long example keeps its response (1024 tokens) and is scored; trained at 48 it lost it.
        Assert.DoesNotContain(ScoringWorkspace.TooLongId, fromRun.Ids);
        Assert.Contains(ScoringWorkspace.TooLongId, ScoreTableFiles.Read(ws.Out("defaults") + ".parquet").Ids);

        // Options that agree with the run change nothing: the same settings, so the table is already scored.
        (code, var stdout, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--run", run, .. Plain("from-run"),
            "--max-length", $"{ScoringWorkspace.MaxLength}", "--last-turn-only", "false", "--template", "plain"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("already scored", stdout);
    }

    [Theory]
    [InlineData(new[] { "--max-length", "64" }, "--max-length 64 contradicts the run: it trained with data.max_length 48")]
    [InlineData(new[] { "--last-turn-only" }, "--last-turn-only true contradicts the run: it trained with data.last_turn_only false")]
    [InlineData(new[] { "--template", "chatml" }, "--template chatml contradicts the run: it trained with the plain template (detected, data.template unset")]
    public void AnOptionThatContradictsTheRunIsRefusedNamingBothValues(string[] option, string message)
    {
        var ws = new ScoringWorkspace();
        var run = new RunFolder(ws.Out("run"));
        string[] names = ["confidence/checkpoint-2", "confidence/checkpoint-4"];
        foreach (var name in names) ws.SaveModel(Path.Combine("run", name), seed: 2);
        File.WriteAllText(run.ConfidenceListPath, System.Text.Json.JsonSerializer.Serialize(new { checkpoints = names }));
        ws.WriteRunRecipe(run.Dir);

        var (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--run", run.Dir, "--data", ws.Data, "--out", ws.Out("c"), .. option]);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
        Assert.Contains(run.RecipePath, stderr);
        Assert.Contains("--checkpoints", stderr);
        Assert.False(File.Exists(ws.Out("c") + ".parquet"));
    }

    [Fact]
    public void TheRunsTemplateAndLastTurnSettingAreReadAndPretrainingDefaultsToPlainText()
    {
        var ws = new ScoringWorkspace();
        var run = new RunFolder(ws.Out("run"));
        ws.WriteRunRecipe(run.Dir, "data.template=chatml", "data.last_turn_only=true");
        var trained = RunTokenization.Of(run);
        Assert.Equal(new RunTokenization(ScoringWorkspace.MaxLength, true, "chatml", run.RecipePath), trained);
        trained.Check(ScoringWorkspace.MaxLength, true, "ChatML", ws.Model);

        var pretrained = new RunFolder(ws.Out("pretrain"));
        var tree = ConfigTree.Empty();
        TrainRecipe.ApplyCommandLine(tree, pretrain: true, ws.Model, ws.Data, pretrained.Dir, ["model_config.hidden_size=32", "data.max_length=16"]);
        RunRecipe.Write(pretrained, TrainRecipe.Bind(tree, pretrain: true));
        Assert.Equal(new RunTokenization(16, false, "plain", pretrained.RecipePath), RunTokenization.Of(pretrained));
    }

    private static ScoreMeta Meta(ScoringWorkspace ws, string name) => ScoreMeta.Read(ScoreMeta.PathFor(ws.Out(name)));
}

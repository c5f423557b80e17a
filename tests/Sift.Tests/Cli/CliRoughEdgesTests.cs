using Sift.Tests.Scoring;
using Sift.Tests.Training;

namespace Sift.Tests.Cli;

/// <summary>What a newcomer meets in the first hour: missing files, recipe output, resume of a finished run, help text.</summary>
public class CliRoughEdgesTests
{
    [Fact]
    public void MissingDataFileIsOneLineNamingTheFileAndTheOption()
    {
        var ws = new ScoringWorkspace();
        var missing = Path.Combine(ws.Dir, "nope.jsonl");
        var scores = Path.Combine(ws.Dir, "scores.parquet");
        string[][] commands =
        [
            ["score", "perplexity", "--model", ws.Model, "--data", missing, "--out", ws.Out("a")],
            ["score", "learnability", "--base", ws.Model, "--ref", ws.Model, "--data", missing, "--out", ws.Out("b")],
            ["score", "confidence", "--checkpoints", ws.Model, "--data", missing, "--out", ws.Out("c")],
            ["score", "random", "--data", missing, "--out", ws.Out("d")],
            ["eval", "--model", ws.Model, "--data", missing, "--out", ws.Out("e")],
            ["select", "--scores", scores, "--data", ws.Data, "--out", ws.Out("f"), "--top-k", "1", "--column", "loss"],
            ["data", "inspect", missing, "--model", ws.Model],
            ["data", "convert", missing, ws.Out("g.jsonl")],
        ];
        foreach (var args in commands)
        {
            var (code, stdout, err) = CliRunner.Run(args);
            var context = string.Join(' ', args[..2]) + ": " + err;
            Assert.True(code == 1, context);
            Assert.DoesNotContain("Could not find", err);
            var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line);
            if (args[0] == "select") Assert.Contains($"{scores}: score table not found (--scores)", line);
            else if (args[0] == "data") Assert.Contains($"{missing}: data file not found ({(args[1] == "inspect" ? "FILE" : "IN")})", line);
            else Assert.Contains($"{missing}: data file not found (--data)", line);
        }
    }

    [Fact]
    public void TrainOnAMissingDataFileNamesTheKeyAndPrintsNoRecipe()
    {
        var (model, _) = TrainCliTests.Fixture();
        var missing = Path.Combine(TrainerFixtures.TempDir(), "nope.jsonl");
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, _, err) = CliRunner.Run(TrainCliTests.Args(model, missing, output));
        Assert.Equal(1, code);
        Assert.Equal($"error: {missing}: data file not found (data.train, set by --data)", err.Trim());
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void ValidationErrorsComeWithoutTheResolvedRecipe()
    {
        var (model, data) = TrainCliTests.Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, _, err) = CliRunner.Run(TrainCliTests.Args(model, data, output, "--set", "optimizer.learning_rate=-1"));
        Assert.Equal(1, code);
        Assert.Equal("error: --set: optimizer.learning_rate: must be finite and > 0, got -1", Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void ARunShowsItsRecipeFileAndKeySettingsOnceItStarts()
    {
        var (model, data) = TrainCliTests.Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, _, err) = CliRunner.Run(TrainCliTests.Args(model, data, output, "--set", "schedule.max_steps=2"));
        Assert.True(code == 0, err);
        var recipe = Path.Combine(output, "sift_recipe.yaml");
        Assert.True(File.Exists(recipe));
        var line = Assert.Single(err.Split('\n'), l => l.Contains(recipe));
        Assert.Contains($"data {data}", line);
        Assert.Contains("objective neftune", line);
        Assert.Contains("learning_rate 0.001", line);
        Assert.Contains("max_steps 2", line);
        Assert.DoesNotContain("adam_beta1", err); // not the whole YAML
    }

    [Fact]
    public void ResumingAFinishedRunSaysSoWithItsFinalLoss()
    {
        var (model, data) = TrainCliTests.Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, stdout, err) = CliRunner.Run(TrainCliTests.Args(model, data, output, "--set", "schedule.max_steps=2"));
        Assert.True(code == 0, err);
        var finalLoss = System.Text.RegularExpressions.Regex.Match(stdout, @"final loss (\S+);").Groups[1].Value;
        Assert.NotEmpty(finalLoss);
        (code, stdout, err) = CliRunner.Run(TrainCliTests.Args(model, data, output, "--set", "schedule.max_steps=2", "--resume"));
        Assert.True(code == 0, err);
        Assert.DoesNotContain("NaN", stdout + err);
        Assert.Contains($"the run already finished at step 2 (final loss {finalLoss}); nothing to do", stdout);
    }

    [Fact]
    public void GenerateEndsItsOutputWithOneNewline()
    {
        var ws = new ScoringWorkspace();
        var (code, stdout, err) = CliRunner.Run("generate", "--model", ws.Model, "--prompt", "Once", "--max-new-tokens", "5");
        Assert.True(code == 0, err);
        Assert.EndsWith("\n", stdout);
        (code, stdout, err) = CliRunner.Run("generate", "--model", ws.Model, "--prompt-ids", "1 403", "--max-new-tokens", "5", "--print-ids");
        Assert.True(code == 0, err);
        Assert.Matches(@"^\d+( \d+)*\n$", stdout);
    }

    [Fact]
    public void TrainHelpListsEveryRecipeSection()
    {
        var (code, stdout, _) = CliRunner.Run("train", "--help");
        Assert.Equal(0, code);
        Assert.Contains("model, data, objective, optimizer, schedule, precision, lora, eval, output", stdout);
    }

    [Theory]
    [InlineData("optimizer.lr", "optimizer.learning_rate")]
    [InlineData("schedule.epochs", "schedule.num_train_epochs")]
    [InlineData("optimizer.learnin_rate", "optimizer.learning_rate")]
    public void SetOfAnUnknownKeySuggestsTheNearestValidOne(string key, string suggested)
    {
        var (model, data) = TrainCliTests.Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, _, err) = CliRunner.Run(TrainCliTests.Args(model, data, output, "--set", $"{key}=1"));
        Assert.Equal(1, code);
        Assert.Equal($"error: --set: unknown setting '{key}'; did you mean '{suggested}'?", err.Trim());
    }

    [Fact]
    public void KeySuggestionPrefersTheSameSectionAndSuggestsNothingFarOff()
    {
        string[] known = ["optimizer.learning_rate", "schedule.lr_scheduler_type", "schedule.warmup_ratio", "data.max_length"];
        Assert.Equal("optimizer.learning_rate", Sift.Config.KeySuggestion.Closest("optimizer.lr", known));
        Assert.Equal("schedule.lr_scheduler_type", Sift.Config.KeySuggestion.Closest("schedule.lr", known));
        Assert.Equal("schedule.warmup_ratio", Sift.Config.KeySuggestion.Closest("schedule.warmup", known));
        Assert.Null(Sift.Config.KeySuggestion.Closest("optimizer.zz", known));
        Assert.Null(Sift.Config.KeySuggestion.Closest("colour", known));
    }

    [Fact]
    public void ScoreSubcommandHelpIsShortAndSpecificAndTheSharedTextIsOnScoreHelp()
    {
        var root = Sift.Cli.Program.BuildRoot();
        var score = root.Subcommands.Single(c => c.Name == "score");
        const string shared = "One forward pass per example per model";
        Assert.Contains(shared, score.Description);
        Assert.Contains("docs/SCORING.md", score.Description);
        foreach (var sub in score.Subcommands)
        {
            var text = sub.Description ?? "";
            Assert.True(text.Length <= 400, $"{sub.Name}: {text.Length} characters");
            Assert.DoesNotContain(shared, text);
            Assert.DoesNotContain("methods", text);
        }
        var (code, stdout, _) = CliRunner.Run("score", "--help");
        Assert.Equal(0, code);
        Assert.Contains(shared, stdout);
    }

    [Fact]
    public void PipelineDryRunWarnsAboutInputsThatDoNotExist()
    {
        var dir = Paths.NewTempDir("sift-pipeline");
        var present = Path.Combine(dir, "present.jsonl");
        File.WriteAllText(present, "{\"instruction\": \"Say hi.\", \"output\": \"Hi.\"}\n");
        var missing = Path.Combine(dir, "missing.jsonl");
        var recipe = Path.Combine(dir, "pipeline.yaml");
        File.WriteAllText(recipe, $"""
            run_dir: {Path.Combine(dir, "run")}
            stages:
              split:
                command: [data, split, "{present}", --out, "${"{"}out{"}"}"]
              scores:
                command: [score, random, --data, "${"{"}split{"}"}/train.jsonl", --out, "${"{"}out{"}"}/r"]
              other:
                command: [score, random, --data, "{missing}", --out, "${"{"}out{"}"}/r"]
            """);
        var (code, _, err) = CliRunner.Run("pipeline", recipe, "--dry-run");
        Assert.True(code == 0, err);
        var warning = Assert.Single(err.Split('\n'), l => l.StartsWith("warning:"));
        Assert.Equal($"warning: stage 'other' reads {missing}, which does not exist and no stage makes it", warning);
    }
}

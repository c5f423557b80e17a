using Sift.Cli.Commands;
using Sift.Pipeline;

namespace Sift.Tests.Pipeline;

public class PipelineRecipeTests
{
    private const string Recipe = """
        run_dir: runs/x
        vars:
          data: train.jsonl
        stages:
          prep:
            command: [data, split, "${data}", --out, "${out}"]
          model:
            foreach: { seed: [1, 2] }
            command: [train, --data, "${prep}/train.jsonl", --set, "seed=${seed}", --output-dir, "${out}"]
          pick:
            foreach: { seed: [1, 2] }
            command: [select, --random, "${seed}", --data, "${model-seed${seed}}/model"]
          report:
            command: [report, "${model-*}", --out, "${out}/report.html"]
        """;

    [Fact]
    public void ForeachExpandsAndReferencesBecomeDependencies()
    {
        var r = PipelineRecipe.Parse(Recipe, "recipe.yaml");
        Assert.Equal(["prep", "model-seed1", "model-seed2", "pick-seed1", "pick-seed2", "report"], r.Stages.Select(s => s.Name));
        var model2 = r.Stages.Single(s => s.Name == "model-seed2");
        Assert.Equal(["prep"], model2.DependsOn);
        Assert.Contains("seed=2", model2.Arguments);
        Assert.Equal(["model-seed2"], r.Stages.Single(s => s.Name == "pick-seed2").DependsOn);
        Assert.Equal(["model-seed1", "model-seed2"], r.Stages.Single(s => s.Name == "report").DependsOn);
    }

    [Fact]
    public void ResolveFillsOutputFoldersAndExpandsPrefixes()
    {
        var r = PipelineRecipe.Parse(Recipe, "recipe.yaml");
        var outputs = new Dictionary<string, string> { ["model-seed1"] = "/r/m1", ["model-seed2"] = "/r/m2", ["prep"] = "/r/p" };
        Assert.Equal(["report", "/r/m1", "/r/m2", "--out", "/r/rep/report.html"],
            PipelineRecipe.Resolve(r.Stages.Single(s => s.Name == "report").Arguments, "/r/rep", outputs));
        Assert.Equal(["train", "--data", "/r/p/train.jsonl", "--set", "seed=1", "--output-dir", "/o"],
            PipelineRecipe.Resolve(r.Stages.Single(s => s.Name == "model-seed1").Arguments, "/o", outputs));
    }

    [Fact]
    public void AListVarSplicesItsItemsWithTheStagesOwnVarsResolved()
    {
        const string yaml = """
            run_dir: runs/x
            vars:
              lr: "3e-3"
              fit: [--set, "optimizer.learning_rate=${lr}", --set, "seed=${seed}"]
            stages:
              model:
                foreach: { seed: [1, 2] }
                command: [train, --data, d.jsonl, "${fit}", --output-dir, "${out}"]
            """;
        var r = PipelineRecipe.Parse(yaml, "recipe.yaml");
        Assert.Equal(["train", "--data", "d.jsonl", "--set", "optimizer.learning_rate=3e-3", "--set", "seed=2", "--output-dir", "${out}"],
            r.Stages.Single(s => s.Name == "model-seed2").Arguments);
        var e = Assert.Throws<SiftException>(() => PipelineRecipe.Parse(yaml.Replace("\"${fit}\"", "\"x${fit}\""), "recipe.yaml"));
        Assert.Contains("stage 'model': the list var ${fit} must be an argument of its own, not part of 'x${fit}'", e.Message);
    }

    [Theory]
    [InlineData("run_dir: x\nstages:\n  a:\n    command: [train, \"${nothing}\"]\n", "recipe.yaml:3: stage 'a' refers to ${nothing}, which is neither a stage nor a var")]
    [InlineData("run_dir: x\nstages:\n  a:\n    comand: [train]\n", "recipe.yaml:4: unknown key 'comand' in stage 'a'")]
    [InlineData("stages:\n  a:\n    command: [train]\n", "run_dir is required")]
    [InlineData("run_dir: x\nstages:\n  a:\n    command: [train]\n    depends_on: [b]\n", "stage 'a' depends on 'b', which is not a stage")]
    public void BadRecipesNameTheProblem(string yaml, string message)
    {
        var e = Assert.Throws<SiftException>(() => PipelineRecipe.Parse(yaml, "recipe.yaml"));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("--fraction, \"0.25\", --no-such-option", "Unrecognized command or argument '--no-such-option'")]
    [InlineData("--fraction, \"a quarter\"", "a quarter")]
    public void ABadCommandLineInALaterStageFailsBeforeAnyStageRuns(string noiseOptions, string message)
    {
        var (dir, recipe) = SplitThenNoise($"\"${{split}}/train.jsonl\", \"${{out}}/train.jsonl\", {noiseOptions}");
        var (code, _, err) = CliRunner.Run("pipeline", recipe);
        Assert.Equal(1, code);
        Assert.Contains($"{recipe}:5: stage 'noisy': ", err);
        Assert.Contains(message, err);
        Assert.Contains("nothing has run", err);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")), "the first stage ran");
    }

    [Fact]
    public void PipelineRunsStagesOnceAndRedoesOnlyWhatChanged()
    {
        var dir = Paths.NewTempDir("sift-pipe");
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 40).Select(i => $"{{\"instruction\": \"Say {i}.\", \"output\": \"{i}\"}}"));
        string Yaml(double fraction) => $$"""
            run_dir: {{dir}}/run
            stages:
              split:
                command: [data, split, "{{input}}", --heldout-fraction, "{{fraction}}", --out, "${out}"]
              noisy:
                command: [data, noise, "${split}/train.jsonl", "${out}/train.jsonl", --fraction, "0.25"]
            """;
        var recipe = Path.Combine(dir, "recipe.yaml");
        File.WriteAllText(recipe, Yaml(0.2));
        var (code, stdout, err) = CliRunner.Run("pipeline", recipe);
        Assert.True(code == 0, err);
        Assert.Contains("split\tran", stdout);
        Assert.Contains("noisy\tran", stdout);
        Assert.Matches(@"\n2 stages in [0-9.]+ s: 2 ran, 0 cached; other [0-9]+\.[0-9] s \(2 stages\)\n", stdout);
        // The progress line of each stage; the second has the first's time to estimate from.
        Assert.Matches(@"(?m)^\[1/2\] split \(data\) · 0:[0-9]{2} elapsed$", err);
        Assert.Matches(@"(?m)^\[2/2\] noisy \(data\) · 0:[0-9]{2} elapsed · about 0:[0-9]{2} left$", err);
        Assert.Contains("[noisy] sift data noise ", err);
        // RUN/NAME links to the stage's finished folder, so a path like run/noisy/train.jsonl stays valid.
        var firstNoisy = new FileInfo(Path.Combine(dir, "run", "noisy")).LinkTarget;
        Assert.Matches("^noisy-[0-9a-f]{12}$", firstNoisy);
        Assert.True(File.Exists(Path.Combine(dir, "run", "noisy", "train.jsonl")));
        (code, stdout, _) = CliRunner.Run("pipeline", recipe);
        Assert.Contains("split\tcached", stdout);
        Assert.Contains("noisy\tcached", stdout);
        Assert.Matches(@": 0 ran, 2 cached\n", stdout);
        File.AppendAllText(input, "{\"instruction\": \"Say more.\", \"output\": \"more\"}\n");
        (code, stdout, _) = CliRunner.Run("pipeline", recipe, "--dry-run");
        Assert.Contains("split\tplanned", stdout);
        Assert.Contains("noisy\tplanned", stdout);
        Assert.Equal(firstNoisy, new FileInfo(Path.Combine(dir, "run", "noisy")).LinkTarget);
        (code, stdout, err) = CliRunner.Run("pipeline", recipe);
        Assert.True(code == 0, err);
        var secondNoisy = new FileInfo(Path.Combine(dir, "run", "noisy")).LinkTarget;
        Assert.NotEqual(firstNoisy, secondNoisy);
        Assert.True(Directory.Exists(Path.Combine(dir, "run", secondNoisy!)));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(dir, "run"), ".*.tmp"));
    }

    [Fact]
    public void ATrainStageHashesTheFilesItsRecipeNamesAfterTheStagesOverrides()
    {
        var dir = Paths.NewTempDir("sift-pipe-inputs");
        string Touch(string name) { var p = Path.Combine(dir, name); File.WriteAllText(p, name); return p; }
        var (confident, unconfident, eval, recipeModel) = (Touch("confident.jsonl"), Touch("unconfident.jsonl"), Touch("eval.jsonl"), Path.Combine(dir, "old-model"));
        var stageModel = Path.Combine(dir, "new-model");
        Directory.CreateDirectory(recipeModel);
        Directory.CreateDirectory(stageModel);
        var recipe = Path.Combine(dir, "sftmix.yaml");
        File.WriteAllText(recipe, $"""
            model: "{recipeModel}"
            data:
              eval: "{eval}"
              cache_dir: "{dir}"
            objective:
              name: sftmix
              confident: "{confident}"
              unconfident: "{unconfident}"
            """);
        var pipeline = $$"""
            run_dir: {{dir}}/run
            stages:
              mix:
                command: [train, "{{recipe}}", --model, "{{stageModel}}", --set, "data.train=${prep}/x.jsonl", --output-dir, "${out}"]
              prep:
                command: [data, split, "{{eval}}", --out, "${out}"]
            """;
        var stages = PipelineStages.Plan(PipelineRecipe.Parse(pipeline, "pipeline.yaml"), CancellationToken.None);
        var mix = stages.Single(s => s.Stage.Name == "mix");
        Assert.Equal(new[] { recipe, stageModel, eval, confident, unconfident }.Order(), mix.Stage.InputFiles.Order());
        Assert.True(mix.Stage.Resumable);
        Assert.Empty(mix.MissingInputs); // ${prep}/x.jsonl is made by a stage
        Assert.False(stages.Single(s => s.Stage.Name == "prep").Stage.Resumable);
    }

    /// <summary>
    /// A `data merge` input written FILE:FORMAT:COLUMNS is hashed by its FILE, so editing it redoes the stage (the
    /// generic rule, existing files among the arguments, cannot see a path with a suffix).
    /// </summary>
    [Fact]
    public void AMergeInputWithAFormatSuffixIsPartOfTheStageKey()
    {
        var dir = Paths.NewTempDir("sift-pipe-merge");
        var (plain, gsm8k) = (Path.Combine(dir, "a.jsonl"), Path.Combine(dir, "gsm8k.jsonl"));
        File.WriteAllText(plain, "{\"instruction\": \"a\", \"output\": \"b\"}\n");
        File.WriteAllText(gsm8k, "{\"question\": \"1+1?\", \"answer\": \"#### 2\"}\n");
        var recipe = PipelineRecipe.Parse($$"""
            run_dir: {{dir}}/run
            stages:
              merged:
                command: [data, merge, "${out}/all.jsonl", "{{plain}}", "{{gsm8k}}:auto:prompt=question,response=answer", "{{dir}}/gone.jsonl:auto"]
            """, "pipeline.yaml");
        var merged = Assert.Single(PipelineStages.Plan(recipe, CancellationToken.None));
        Assert.Equal(new[] { plain, gsm8k }.Order(), merged.Stage.InputFiles.Order());
        Assert.Equal([Path.Combine(dir, "gone.jsonl")], merged.MissingInputs);
    }

    /// <summary>A stage's job runs in process: its error names the stage and keeps the stages before it.</summary>
    [Fact]
    public void AFailingStageNamesItselfAndKeepsTheStagesBeforeIt()
    {
        var (dir, recipe) = SplitThenNoise("\"${split}/no-such.jsonl\", \"${out}/train.jsonl\"");
        var (code, stdout, err) = CliRunner.Run("pipeline", recipe);
        Assert.Equal(1, code);
        Assert.Contains("error: stage 'noisy': ", err);
        Assert.Contains("no-such.jsonl: data file not found (IN)", err);
        Assert.Contains("finished stages are kept", err);
        Assert.True(File.Exists(Path.Combine(dir, "run", "split", "train.jsonl")), "the first stage's output is kept");
        (code, stdout, _) = CliRunner.Run("pipeline", recipe, "--dry-run");
        Assert.Contains("split\tcached", stdout);
    }

    /// <summary>A command that is not one job (a pipeline, a group of subcommands) is refused as a stage before anything runs.</summary>
    [Theory]
    [InlineData("pipeline, other.yaml", "`sift pipeline` cannot be a pipeline stage")]
    [InlineData("score", "Required command was not provided")]
    public void ACommandThatIsNotOneJobCannotBeAStage(string command, string message)
    {
        var dir = Paths.NewTempDir("sift-pipe");
        var recipe = Path.Combine(dir, "recipe.yaml");
        File.WriteAllText(recipe, $$"""
            run_dir: {{dir}}/run
            stages:
              inner:
                command: [{{command}}]
            """);
        var (code, _, err) = CliRunner.Run("pipeline", recipe);
        Assert.Equal(1, code);
        Assert.Contains($"{recipe}:3: stage 'inner': ", err);
        Assert.Contains(message, err);
        Assert.False(Directory.Exists(Path.Combine(dir, "run")), "a stage ran");
    }

    /// <summary>A recipe of two stages: `data split` of a 10-example file, then `data noise` with <paramref name="noiseArguments"/> (line 5).</summary>
    private static (string Dir, string Recipe) SplitThenNoise(string noiseArguments)
    {
        var dir = Paths.NewTempDir("sift-pipe");
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 10).Select(i => $"{{\"instruction\": \"Say {i}.\", \"output\": \"{i}\"}}"));
        var recipe = Path.Combine(dir, "recipe.yaml");
        File.WriteAllText(recipe, $$"""
            run_dir: {{dir}}/run
            stages:
              split:
                command: [data, split, "{{input}}", --heldout-fraction, "0.2", --out, "${out}"]
              noisy:
                command: [data, noise, {{noiseArguments}}]
            """);
        return (dir, recipe);
    }
}

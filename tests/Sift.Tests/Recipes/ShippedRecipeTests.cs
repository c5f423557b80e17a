using System.Diagnostics;
using Sift.Config;
using Sift.Pipeline;
using Sift.Tests.Training;
using Sift.Training.Objectives;
using Sift.Training.Recipes;
using YamlDotNet.RepresentationModel;

namespace Sift.Tests.Recipes;

/// <summary>
/// Every recipe shipped in recipes/ (and the demo's embedded one) still loads and plans, so a shipped
/// recipe cannot go stale silently; each train recipe also trains a few steps on tiny data.
/// </summary>
public class ShippedRecipeTests
{
    private static readonly string RecipeDir = Path.Combine(Paths.RepoRoot, "recipes");

    private static readonly string[] TrainRecipeNames = ["train-full.yaml", "train-lora.yaml", "train-sftmix.yaml", "train-neftune.yaml"];

    public static TheoryData<string> TrainRecipes => new(TrainRecipeNames);

    private static bool IsPipeline(string path)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        return yaml.Documents[0].RootNode is YamlMappingNode root && root.Children.ContainsKey(new YamlScalarNode("stages"));
    }

    /// <summary>The recipe as `sift train RECIPE` binds it: every key known, every value in range (Bind throws otherwise).</summary>
    private static TrainRecipe Load(string path) => TrainRecipe.Bind(ConfigTree.Load(path), pretrain: false);

    [Theory]
    [MemberData(nameof(TrainRecipes))]
    public void TrainRecipeValidatesPointsAtTheDemosOutputsAndTrains(string name)
    {
        var path = Path.Combine(RecipeDir, name);
        var recipe = Load(path);
        // Paths a user has right after `sift demo`, run from the same folder.
        Assert.Equal("sift-demo/base/model", recipe.Model.Path);
        Assert.Equal("sift-demo/data/heldout.jsonl", recipe.Data.Eval);
        Assert.StartsWith("runs/", recipe.OutputDir);
        Assert.Equal(128, recipe.Data.Tokenization.MaxLength);
        var expected = name switch
        {
            "train-sftmix.yaml" => "sftmix",
            "train-neftune.yaml" => "neftune",
            _ => "ntp",
        };
        Assert.Equal(expected, recipe.Objective.Name);
        Assert.Equal(name == "train-lora.yaml", recipe.Lora != null);
        if (recipe.Objective.Settings is SftMixSection mix)
        {
            Assert.Equal("sift-demo/split/confident.jsonl", mix.Confident);
            Assert.Equal("sift-demo/split/unconfident.jsonl", mix.Unconfident);
        }
        else Assert.Equal("sift-demo/data/train.jsonl", recipe.Data.Train);

        // A couple of steps of the recipe as it is, on the tiny fixture model and data instead of the demo's.
        var (model, data) = TrainCliTests.Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        List<string> args = ["train", path, "--model", model, "--output-dir", output, "--set", "schedule.max_steps=2", "--set", $"data.eval={data}"];
        if (expected == "sftmix")
        {
            var lines = File.ReadAllLines(data);
            var confident = Path.Combine(TrainerFixtures.TempDir(), "confident.jsonl");
            var unconfident = Path.Combine(TrainerFixtures.TempDir(), "unconfident.jsonl");
            File.WriteAllLines(confident, lines[..12]);
            File.WriteAllLines(unconfident, lines[12..]);
            args.AddRange(["--set", $"objective.confident={confident}", "--set", $"objective.unconfident={unconfident}"]);
        }
        else args.AddRange(["--data", data]);
        var (code, stdout, err) = CliRunner.Run([.. args]);
        Assert.True(code == 0, err);
        Assert.Contains("trained 2 steps", stdout);
        Assert.True(File.Exists(Path.Combine(output, "model", "model.safetensors")), err);
        if (recipe.Lora != null) Assert.True(File.Exists(Path.Combine(output, "adapter", "adapter_config.json")));
    }

    /// <summary>
    /// Each file in recipes/: a pipeline recipe plans (`sift pipeline RECIPE --dry-run`, run from the
    /// repository root as README does), a train recipe binds. Files a pipeline recipe reads from the
    /// shared assets beside the checkout are checked first, by name.
    /// </summary>
    [Fact]
    public void EveryShippedRecipeLoadsAndDryRuns()
    {
        var files = Directory.GetFiles(RecipeDir).Order(StringComparer.Ordinal).ToList();
        Assert.All(files, f => Assert.EndsWith(".yaml", f));
        Assert.Superset(TrainRecipeNames.Select(r => Path.Combine(RecipeDir, r)).ToHashSet(), files.ToHashSet());
        var pipelines = 0;
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(Paths.RepoRoot, file);
            if (!IsPipeline(file))
            {
                try { Load(file); }
                catch (SiftException e) { Assert.Fail($"{relative} does not load as a train recipe: {e.Message}"); }
                continue;
            }
            pipelines++;
            var missing = PipelineVarPaths(file).Where(p => !Path.Exists(Path.Combine(Paths.RepoRoot, p))).ToList();
            Assert.True(missing.Count == 0,
                $"{relative} reads files that are missing (relative to the repository root {Paths.RepoRoot}): {string.Join(", ", missing)}; " +
                $"the shared assets belong in {Paths.SharedAssets}, beside the checkout");

            var runDir = Paths.NewTempDir("sift-recipe-plan");
            var (code, stdout, stderr) = RunChild(Paths.RepoRoot, "pipeline", relative, "--dry-run", "--run-dir", runDir);
            Assert.True(code == 0, $"sift pipeline {relative} --dry-run exited {code}: {stderr}");
            var stages = PipelineRecipe.Load(file).Stages;
            Assert.Equal(stages.Count, stdout.Split('\n').Count(l => l.Contains("\tplanned\t")));
            Assert.Empty(Directory.GetFileSystemEntries(runDir));
        }
        Assert.True(pipelines >= 2, "the pipeline recipes were not recognised");
    }

    [Fact]
    public void TheEmbeddedDemoRecipeDryRuns()
    {
        var runDir = Paths.NewTempDir("sift-demo-plan");
        var (code, stdout, err) = CliRunner.Run("demo", "--dry-run", "--run-dir", runDir);
        Assert.True(code == 0, err);
        var stages = PipelineRecipe.Parse(Sift.Cli.Commands.DemoCommand.RecipeText(), "demo recipe").Stages;
        Assert.Equal(stages.Count, stdout.Split('\n').Count(l => l.Contains("\tplanned\t")));
        // The stages the train recipes read from sift-demo/ exist under those names.
        Assert.Contains(stages, s => s.Name == "base");
        Assert.Contains(stages, s => s.Name == "data");
        Assert.Contains(stages, s => s.Name == "split" && s.Arguments.Contains("sftmix"));
    }

    /// <summary>The values of a pipeline recipe's vars that are paths (they contain a '/').</summary>
    private static IEnumerable<string> PipelineVarPaths(string file)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(file)));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        if (!root.Children.TryGetValue(new YamlScalarNode("vars"), out var vars)) return [];
        return ((YamlMappingNode)vars).Children.Values.OfType<YamlScalarNode>().Select(v => v.Value!).Where(v => v.Contains('/'));
    }

    /// <summary>The built CLI in a child process (the working directory matters to a recipe's relative paths).</summary>
    private static (int Code, string Stdout, string Stderr) RunChild(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = workingDirectory };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "sift.dll"), .. args]) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}

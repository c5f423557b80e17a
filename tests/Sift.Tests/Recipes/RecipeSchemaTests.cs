using Sift.Config;
using Sift.Tests.Training;
using Sift.Training.Objectives;
using Sift.Training.Recipes;
using static Sift.Tests.Recipes.RecipeKeySamples;

namespace Sift.Tests.Recipes;

/// <summary>
/// The recipe schema row by row: every key has a doc line and samples, binds its sample, writes it back in
/// the resolved recipe and binds that again to the same recipe; values out of range name the file and line.
/// </summary>
public class RecipeSchemaTests
{
    public static TheoryData<string> Keys => new(SchemaKeys.Select(k => k.Path).Distinct());

    public static TheoryData<string, string, string, string[]> Samples
    {
        get
        {
            var data = new TheoryData<string, string, string, string[]>();
            foreach (var (key, value, written, with) in All) data.Add(key, value, written, with);
            return data;
        }
    }

    public static TheoryData<string, string, string[]> Bad
    {
        get
        {
            var data = new TheoryData<string, string, string[]>();
            foreach (var (key, value, with) in OutOfRange) data.Add(key, value, with);
            return data;
        }
    }

    [Fact]
    public void EveryKeyHasSamplesAndEveryRangedKeyAValueOutsideIt()
    {
        Assert.Equal(SchemaKeys.Select(k => k.Path).Except(NeedOtherHardware).Distinct().Order(), All.Select(s => s.Key).Order());
        Assert.Equal(SchemaKeys.Where(k => k.RangeText != null).Select(k => k.Path).Distinct().Order(), OutOfRange.Select(s => s.Key).Order());
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void EveryKeyHasOneDocLineAndASection(string key)
    {
        foreach (var row in SchemaKeys.Where(k => k.Path == key))
        {
            Assert.False(string.IsNullOrWhiteSpace(row.Doc));
            Assert.DoesNotContain('\n', row.Doc);
            Assert.True(row.Split().Section is "" or "model_config" or "data" or "objective" or "optimizer" or "schedule" or "precision" or "lora" or "eval" or "output",
                $"{key}: not in a recipe section");
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void EveryKeyBindsItsValueWritesItAndTheResolvedRecipeBindsBackToItself(string key, string value, string written, string[] with)
    {
        var before = Flatten(Bind(with).ToYaml());
        var recipe = Bind([.. with, $"{key}={value}"]);
        var yaml = recipe.ToYaml();
        Assert.Equal(written, Flatten(yaml)[key]);
        Assert.NotEqual(written, before.GetValueOrDefault(key)); // the sample is not the default

        var path = Path.Combine(TrainerFixtures.TempDir(), "sift_recipe.yaml");
        File.WriteAllText(path, yaml);
        Assert.Equal(yaml, TrainRecipe.LoadResolved(path).ToYaml());
    }

    [Theory]
    [MemberData(nameof(Bad))]
    public void AValueOutOfRangeNamesTheFileLineAndKey(string key, string value, string[] with)
    {
        var path = Path.Combine(TrainerFixtures.TempDir(), "recipe.yaml");
        int dot = key.LastIndexOf('.');
        File.WriteAllText(path, $"# a recipe\n\nmodel: base\n\n\n{key[..dot]}:\n  {key[(dot + 1)..]}: {value}\n");
        var tree = ConfigTree.Load(path);
        foreach (var set in (string[])["data.train=train.jsonl", "output.output_dir=out", .. with]) tree.Set(set);
        var range = SchemaKeys.First(k => k.Path == key).RangeText;
        var e = Assert.Throws<SiftException>(() => TrainRecipe.Bind(tree, pretrain: false));
        Assert.StartsWith($"{path}:7: {key}: must be {range}, got ", e.Message);
    }

    [Fact]
    public void RangeAndTypeErrorsReadAsBefore()
    {
        var path = Path.Combine(TrainerFixtures.TempDir(), "recipe.yaml");
        File.WriteAllText(path, "model: base\ndata:\n  train: t.jsonl\noutput:\n  output_dir: out\noptimizer:\n  learning_rate: -1\n");
        Assert.Equal($"{path}:7: optimizer.learning_rate: must be finite and > 0, got -1",
            Assert.Throws<SiftException>(() => TrainRecipe.Bind(ConfigTree.Load(path), pretrain: false)).Message);
        File.WriteAllText(path, "model: base\ndata:\n  train: t.jsonl\n  max_length: long\noutput:\n  output_dir: out\n");
        Assert.Equal($"{path}:4: data.max_length: expected a whole number, got 'long'",
            Assert.Throws<SiftException>(() => TrainRecipe.Bind(ConfigTree.Load(path), pretrain: false)).Message);
        Assert.Equal($"--set: objective.name: expected one of {string.Join(", ", ObjectiveRegistry.All.Select(d => d.Name))}, got 'dpo'",
            Assert.Throws<SiftException>(() => Bind("objective.name=dpo")).Message);
    }

    [Theory]
    [InlineData("objective.mixup_alpha=0.3", "--set: objective.mixup_alpha does not apply to objective.name: ntp; remove it, or use objective.name: sftmix")]
    [InlineData("objective.name=sftmix,objective.confident=c,objective.unconfident=u,data.train=,objective.neftune_length=padded",
        "--set: objective.neftune_length does not apply to objective.name: sftmix; remove it, or use objective.name: ntp or neftune")]
    [InlineData("objective.neftune_length=padded", "--set: unknown setting 'objective.neftune_length'")]
    [InlineData("lora.lora_alpha=8", "--set: unknown setting 'lora.lora_alpha'")]
    [InlineData("schedule.num_train_epochs=0", "--set: schedule.num_train_epochs must be ≥ 1 (or set schedule.max_steps), got 0")]
    [InlineData("objective.name=sftmix,objective.confident=c,objective.unconfident=u",
        "--data: with objective sftmix the training data are objective.confident and objective.unconfident; remove data.train")]
    public void RulesBetweenKeysNameTheKeys(string sets, string message)
    {
        var e = Assert.Throws<SiftException>(() => Bind(sets.Split(',')));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void NtpWithNoiseAlphaTurnsNeftuneNoiseOnAndWritesItsKeys()
    {
        var recipe = Bind("objective.neftune_noise_alpha=3");
        Assert.Equal(new NeftuneOptions(3), recipe.Objective.Settings);
        Assert.Contains("objective:\n  name: \"ntp\"\n  neftune_noise_alpha: 3\n  neftune_length: \"per_sequence\"\noptimizer:", recipe.ToYaml());
        Assert.Null(Bind().Objective.Settings);
        Assert.Equal(5, Assert.IsType<NeftuneOptions>(Bind("objective.name=neftune").Objective.Settings).Alpha);
    }

    [Fact]
    public void InputKeysAreTheFilesAndFoldersARunReads()
    {
        Assert.Equal(["model", "tokenizer", "model_config.path", "data.train", "data.eval", "objective.confident", "objective.unconfident"], TrainRecipe.InputPathKeys);
    }

    [Fact]
    public void TrainHelpListsEveryKeyWithItsDefault()
    {
        var (code, stdout, _) = CliRunner.Run("train", "--help");
        Assert.Equal(0, code);
        foreach (var key in SchemaKeys.Select(k => k.Path).Distinct())
            Assert.Matches($@"\n  +{System.Text.RegularExpressions.Regex.Escape(key)} +\S", stdout);
        Assert.Matches(@"optimizer\.learning_rate +number, finite and > 0; default 2E-05 \(pretrain 0\.001\)\. ", stdout);
        Assert.Matches(@"objective\.neftune_noise_alpha +\[ntp, neftune\] number, finite and > 0; default ntp: unset, neftune: 5\. ", stdout);
        Assert.Matches(@"output\.output_dir +text; required\. ", stdout);
    }
}

using Sift.Training;
using Sift.Training.Lora;
using Sift.Training.Recipes;
using Sift.Training.Recipes.Schema;
using static Sift.Tests.Recipes.RecipeKeySamples;

namespace Sift.Tests.Recipes;

/// <summary>
/// A ranged key whose value lands in <see cref="TrainingOptions"/>, TokenizationOptions or <see cref="LoraConfig"/> is
/// checked on two paths: as a recipe binds, and by the options' Validate for options built in code. For every such key
/// of the schema table, both refuse its sample value outside the range and accept its sample inside, so a second copy
/// of a range that disagrees with the key's fails here.
/// </summary>
public class OptionRangeTests
{
    /// <summary>Ranged keys whose value no options type holds, so only the recipe checks it.</summary>
    private static readonly string[] RecipeOnly = ["data.eval_fraction"];

    public static TheoryData<string> RangedKeys => new(TrainRecipeKeys.All.Where(k => k.RangeText != null).Select(k => k.Path));

    [Theory]
    [MemberData(nameof(RangedKeys))]
    public void TheRecipeAndValidateRefuseAValueOutsideTheKeysRangeAndAcceptOneInside(string key)
    {
        var (_, bad, badWith) = OutOfRange.Single(s => s.Key == key);
        Assert.StartsWith($"--set: {key}: must be ", Assert.Throws<SiftException>(() => Bind([.. badWith, $"{key}={bad}"])).Message);
        var refusing = ValidatesOfWhatChanged(Bind(badWith), SetUnchecked(TrainRecipeKeys.All.Single(k => k.Path == key), bad, Bind(badWith)));
        Assert.Equal(!RecipeOnly.Contains(key), refusing.Count > 0);
        foreach (var validate in refusing) Assert.StartsWith(key + " ", Assert.Throws<SiftException>(validate).Message);

        var (_, good, _, goodWith) = All.Single(s => s.Key == key);
        foreach (var validate in ValidatesOfWhatChanged(Bind(goodWith), Bind([.. goodWith, $"{key}={good}"]))) validate();
    }

    [Fact]
    public void ValidateNamesTheRecipeKeyTheRangeAndTheValue()
    {
        Assert.Equal("optimizer.learning_rate must be finite and > 0, got -1",
            Assert.Throws<SiftException>(() => new TrainingOptions { LearningRate = -1 }.Validate()).Message);
        Assert.Equal("data.max_length must be ≥ 2, got 1", Assert.Throws<SiftException>(() => new TrainingOptions { PackedRowLength = 1 }.Validate()).Message);
        Assert.Equal("lora.lora_alpha must be finite and > 0, got 0", Assert.Throws<SiftException>(() => new LoraConfig { Alpha = 0 }.Validate()).Message);
        Assert.Equal("adapter_config.json: lora_dropout must be in [0, 1), got 1",
            Assert.Throws<SiftException>(() => new LoraConfig { Dropout = 1 }.Validate("adapter_config.json")).Message);
    }

    [Fact]
    public void ValidateAndTheRecipeShareTheRuleBetweenEpochsAndMaxSteps()
    {
        const string Message = "schedule.num_train_epochs must be ≥ 1 (or set schedule.max_steps), got 0";
        Assert.Equal(Message, Assert.Throws<SiftException>(() => new TrainingOptions { NumTrainEpochs = 0 }.Validate()).Message);
        new TrainingOptions { NumTrainEpochs = 0, MaxSteps = 5 }.Validate();
        Assert.Equal("--set: " + Message, Assert.Throws<SiftException>(() => Bind("schedule.num_train_epochs=0")).Message);
    }

    /// <summary>The Validate of each options object that differs between the two recipes.</summary>
    private static List<Action> ValidatesOfWhatChanged(TrainRecipe before, TrainRecipe after)
    {
        var validates = new List<Action>();
        if (after.Training != before.Training) validates.Add(after.Training.Validate);
        if (after.Data.Tokenization != before.Data.Tokenization) validates.Add(after.Data.Tokenization.Validate);
        if (after.Lora != before.Lora) validates.Add(() => after.Lora!.Validate());
        return validates;
    }

    /// <summary><paramref name="recipe"/> with the key set to <paramref name="text"/> without its range check, as code building options could.</summary>
    private static TrainRecipe SetUnchecked(RecipeKey key, string text, TrainRecipe recipe) => Parsed((dynamic)key, text, recipe);

    private static TrainRecipe Parsed<T>(RecipeKey<T> key, string text, TrainRecipe recipe) => key.Set(recipe, key.Type.Parse(text, key.Path));
}

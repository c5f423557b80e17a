using Sift.Config;
using Sift.Training.Objectives;

namespace Sift.Training.Recipes;

/// <summary>
/// Every rule that ties recipe keys together (one key's type and range are its schema row,
/// <see cref="Schema.RecipeKey"/>); checked once every key is bound, before unknown keys are reported.
/// </summary>
internal static class RecipeRules
{
    public static void Check(TrainRecipe recipe, ConfigTree tree)
    {
        var model = recipe.Model;
        if (recipe.Pretrain && model.ConfigPath == null && model.ConfigValues.Count == 0)
            throw new SiftException("pretrain needs model_config: a config.json (model_config.path) or sizes (model_config.hidden_size, ...)");
        if (!recipe.Pretrain && model.Path == null) throw new SiftException("model is required: the Hugging Face folder of the model to fine-tune");
        if (recipe.Pretrain && model.Tokenizer == null && model.Path == null)
            throw new SiftException("tokenizer is required for pretrain: a folder with tokenizer.json or tokenizer.model");

        var objective = recipe.Objective.Definition;
        if (objective.TrainingFiles(recipe) is { } files)
        {
            if (recipe.Data.Train.Length > 0)
                throw new SiftException($"{tree.Origin("data.train")}: with objective {objective.Name} the training data are " +
                                        $"{string.Join(" and ", files.Select(f => f.Key))}; remove data.train");
        }
        else if (recipe.Data.Train.Length == 0) throw new SiftException("data.train is required: the training data file (data.train)");
        KeysOfOtherObjectives(recipe, tree);

        if (recipe.Training.LengthProblem() is { } length) throw new SiftException($"{tree.Origin("schedule.num_train_epochs")}: {length}");

        if (recipe.Objective.Settings is SftMixSection { Options: var mix })
        {
            if (mix is { NtpWeight: 0, Mu: 0 })
                throw new SiftException("objective.ntp_weight and objective.mixup_weight are both 0, so the loss is 0 and nothing trains; " +
                                        "set ntp_weight: 0 with mixup_weight > 0 for mixup-only training");
            if (mix.DetachMixupHidden && recipe.Lora != null)
                throw new SiftException("objective.mixup_detach_hidden: true with lora.r > 0: LoRA leaves the LM head frozen, so the detached mixup term " +
                                        "would train nothing; fine-tune fully (lora.r: 0) or set objective.mixup_detach_hidden: false");
        }
    }

    /// <summary>An objective.* key that only other objectives take (NEFTune's noise with sftmix, SFTMix's halves with ntp, ...).</summary>
    private static void KeysOfOtherObjectives(TrainRecipe recipe, ConfigTree tree)
    {
        var own = recipe.Objective.Definition.Keys.Select(k => k.Path).ToHashSet();
        var foreign = ObjectiveRegistry.All.SelectMany(d => d.Keys.Select(k => (d.Name, k.Path)))
            .Where(x => !own.Contains(x.Path) && tree.Has(x.Path))
            .GroupBy(x => x.Path).FirstOrDefault();
        if (foreign == null) return;
        throw new SiftException($"{tree.Origin(foreign.Key)}: {foreign.Key} does not apply to objective.name: {recipe.Objective.Name}; " +
                                $"remove it, or use objective.name: {string.Join(" or ", foreign.Select(x => x.Name))}");
    }
}

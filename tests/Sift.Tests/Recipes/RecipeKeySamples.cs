using Sift.Config;
using Sift.Training.Objectives;
using Sift.Training.Recipes;
using Sift.Training.Recipes.Schema;

namespace Sift.Tests.Recipes;

/// <summary>
/// For every recipe key, a value other than its default, how the resolved recipe writes it, and the
/// settings it needs (an objective, lora.r &gt; 0); for every key with a range, a value outside it.
/// The schema tests check that these cover every key, so a new key comes with its samples.
/// </summary>
internal static class RecipeKeySamples
{
    private static readonly string[] SftMix = ["objective.name=sftmix", "objective.confident=c.jsonl", "objective.unconfident=u.jsonl", "data.train="];
    private static readonly string[] Lora = ["lora.r=4"];

    /// <summary>Keys whose every other value binds only on other hardware (device: cuda, mps); DeviceRecipeTests write them.</summary>
    public static readonly string[] NeedOtherHardware = ["device"];

    /// <summary>(key, text given, text written, other settings it needs).</summary>
    public static readonly (string Key, string Value, string Written, string[] With)[] All =
    [
        ("model", "other", "\"other\"", []),
        ("tokenizer", "tok", "\"tok\"", []),
        ("model_config.path", "config.json", "\"config.json\"", []),
        .. TrainRecipeKeys.ModelConfigKeys.Select(k => ("model_config." + k, "7", "7", Array.Empty<string>())),
        ("data.train", "other.jsonl", "\"other.jsonl\"", []),
        ("data.eval", "heldout.jsonl", "\"heldout.jsonl\"", []),
        ("data.eval_fraction", "0.25", "0.25", []),
        ("data.format", "Alpaca", "\"alpaca\"", []),
        ("data.columns", "prompt=question", "\"prompt=question\"", []),
        ("data.template", "chatml", "\"chatml\"", []),
        ("data.max_length", "64", "64", []),
        ("data.over_length", "drop", "\"drop\"", []),
        ("data.last_turn_only", "yes", "true", []),
        ("data.train_on_prompt", "true", "true", []),
        ("data.packing", "on", "true", []),
        ("data.group_by_length", "false", "false", []),
        ("data.skip_invalid", "true", "true", []),
        ("data.cache_dir", "cache", "\"cache\"", []),
        ("data.limit", "5", "5", []),
        ("objective.name", "NEFTune", "\"neftune\"", []),
        ("objective.neftune_noise_alpha", "7.5", "7.5", ["objective.name=neftune"]),
        ("objective.neftune_length", "padded", "\"padded\"", ["objective.name=neftune"]),
        ("objective.confident", "c2.jsonl", "\"c2.jsonl\"", SftMix),
        ("objective.unconfident", "u2.jsonl", "\"u2.jsonl\"", SftMix),
        ("objective.mixup_alpha", "2", "2", SftMix),
        ("objective.mixup_weight", "0.5", "0.5", SftMix),
        ("objective.pairing", "length", "\"length\"", SftMix),
        ("objective.diagnostic_steps", "0", "0", SftMix),
        ("objective.ntp_weight", "0.5", "0.5", SftMix),
        ("objective.mixup_detach_hidden", "true", "true", SftMix),
        ("optimizer.learning_rate", "1e-4", "0.0001", []),
        ("optimizer.weight_decay", "0.01", "0.01", []),
        ("optimizer.adam_beta1", "0.8", "0.8", []),
        ("optimizer.adam_beta2", "0.95", "0.95", []),
        ("optimizer.adam_epsilon", "1e-6", "1E-06", []),
        ("optimizer.max_grad_norm", "0", "0", []),
        ("schedule.lr_scheduler_type", "Linear", "\"linear\"", []),
        ("schedule.warmup_ratio", "0.1", "0.1", []),
        ("schedule.warmup_steps", "5", "5", []),
        ("schedule.num_train_epochs", "2", "2", []),
        ("schedule.max_steps", "100", "100", []),
        ("schedule.per_device_train_batch_size", "4", "4", []),
        ("schedule.gradient_accumulation_steps", "2", "2", []),
        ("precision.dtype", "bf16", "\"bfloat16\"", []),
        ("precision.master_weights", "false", "false", ["precision.dtype=bfloat16"]),
        ("precision.gradient_checkpointing", "true", "true", []),
        ("lora.r", "4", "4", []),
        ("lora.lora_alpha", "16", "16", Lora),
        ("lora.lora_dropout", "0.1", "0.1", Lora),
        ("lora.target_modules", "q_proj, v_proj", "\"q_proj,v_proj\"", Lora),
        ("lora.use_rslora", "true", "true", Lora),
        ("eval.eval_steps", "10", "10", []),
        ("eval.per_device_eval_batch_size", "4", "4", []),
        ("output.output_dir", "elsewhere", "\"elsewhere\"", []),
        ("output.save_steps", "10", "10", []),
        ("output.save_total_limit", "3", "3", []),
        ("output.logging_steps", "10", "10", []),
        ("output.confidence_checkpoints", "4", "4", []),
        ("output.record_dynamics", "true", "true", []),
        ("output.save_dtype", "bf16", "\"bf16\"", []),
        ("seed", "7", "7", []),
    ];

    /// <summary>(key, a value outside its range, the settings it needs) for every key with a range.</summary>
    public static readonly (string Key, string Value, string[] With)[] OutOfRange =
    [
        ("data.eval_fraction", "1", []),
        ("data.max_length", "1", []),
        ("objective.neftune_noise_alpha", "0", ["objective.name=neftune"]),
        ("objective.mixup_alpha", "0", SftMix),
        ("objective.mixup_weight", "-1", SftMix),
        ("objective.diagnostic_steps", "-1", SftMix),
        ("objective.ntp_weight", "-0.5", SftMix),
        ("optimizer.learning_rate", "-1", []),
        ("optimizer.weight_decay", "-0.1", []),
        ("optimizer.adam_beta1", "1", []),
        ("optimizer.adam_beta2", "-0.5", []),
        ("optimizer.adam_epsilon", "0", []),
        ("optimizer.max_grad_norm", "-1", []),
        ("schedule.warmup_ratio", "1.5", []),
        ("schedule.warmup_steps", "-1", []),
        ("schedule.per_device_train_batch_size", "0", []),
        ("schedule.gradient_accumulation_steps", "0", []),
        ("lora.r", "-1", []),
        ("lora.lora_alpha", "0", Lora),
        ("lora.lora_dropout", "1", Lora),
        ("lora.target_modules", "q_proj,wq", Lora),
        ("eval.eval_steps", "-1", []),
        ("eval.per_device_eval_batch_size", "0", []),
        ("output.save_steps", "-1", []),
        ("output.save_total_limit", "0", []),
        ("output.logging_steps", "0", []),
        ("output.confidence_checkpoints", "-1", []),
    ];

    /// <summary>Every key of the schema: the table's and every registered objective's.</summary>
    public static IEnumerable<RecipeKey> SchemaKeys => TrainRecipeKeys.All.Concat(ObjectiveRegistry.All.SelectMany(d => d.Keys));

    /// <summary>A fine-tuning recipe with model, data and output set, then <paramref name="sets"/>.</summary>
    public static TrainRecipe Bind(params string[] sets) => TrainRecipe.Bind(Tree(sets), pretrain: false);

    public static ConfigTree Tree(params string[] sets)
    {
        var tree = ConfigTree.Empty();
        TrainRecipe.ApplyCommandLine(tree, pretrain: false, "base", "train.jsonl", "out", sets);
        return tree;
    }

    /// <summary>A resolved recipe's "section:" / "  key: value" lines as dotted keys to value text (read independently of the schema).</summary>
    public static Dictionary<string, string> Flatten(string yaml)
    {
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        string? section = null;
        foreach (var line in yaml.Split('\n').Where(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            var (key, value) = (line[..colon].Trim(), line[(colon + 1)..].Trim());
            bool nested = line.StartsWith("  ");
            if (!nested && value.Length == 0) { section = key; continue; }
            flat[nested ? $"{section}.{key}" : key] = value;
        }
        return flat;
    }
}

using System.Globalization;
using Sift.Config;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Tokenization;
using Sift.Native;
using Sift.Training.Objectives;
using Sift.Training.Recipes.Schema;

namespace Sift.Training.Recipes;

/// <summary>Where the model comes from: a Hugging Face folder to fine-tune, or a config to pre-train from random weights.</summary>
public sealed record ModelSection(string? Path, string? ConfigPath, IReadOnlyDictionary<string, string> ConfigValues, string? Tokenizer, string? SaveDType);

/// <summary>What to train on and how it is tokenized.</summary>
/// <param name="Limit">data.limit: read only the first N valid examples of each data file (paragraphs of a pretrain .txt), for quick trials; null reads them whole.</param>
public sealed record DataSection(
    string Train, string? Eval, double EvalFraction, DataLayout Layout, string? Columns, string? Template,
    TokenizationOptions Tokenization, bool SkipInvalid, string? CacheDir, int? Limit);

/// <summary>The loss: a registered objective (<see cref="ObjectiveRegistry"/>) and its settings, bound from its objective.* keys.</summary>
/// <param name="Settings">The objective's own settings (NTP and NEFTune: <see cref="NeftuneOptions"/> or null; SFTMix: <see cref="SftMixSection"/>).</param>
/// <param name="GroupByLength">NTP/NEFTune batches of similar length (transformers' group_by_length); SFTMix forms its own pairs.</param>
public sealed record ObjectiveSection(string Name, object? Settings, bool GroupByLength)
{
    public ObjectiveDefinition Definition => ObjectiveRegistry.Get(Name);
}

/// <summary>
/// A resolved `sift train` / `sift pretrain` recipe: every setting with its default filled in. Its keys,
/// their types, defaults, ranges and docs are the schema in <see cref="TrainRecipeKeys"/> (and each
/// objective's own keys); <see cref="Bind"/>, <see cref="ToYaml"/>, `sift train --help` and the resume
/// settings (<see cref="ResumeSignature"/>) are made from it.
/// </summary>
public sealed record TrainRecipe(ModelSection Model, DataSection Data, ObjectiveSection Objective, TrainingOptions Training,
    Sift.Training.Lora.LoraConfig? Lora, string OutputDir, bool Pretrain)
{
    /// <summary>Where the model trains (<see cref="ComputeDevice"/>): cpu, cuda, cuda:N or mps, as the recipe records it.</summary>
    public string Device { get; init; } = ComputeDevice.Default;

    /// <summary>The settings that name files or folders a run reads (outputs and caches are not inputs), for any objective.</summary>
    public static readonly string[] InputPathKeys =
        [.. TrainRecipeKeys.All.Concat(ObjectiveRegistry.All.SelectMany(d => d.Keys)).Where(k => k.Input != InputKind.None).Select(k => k.Path).Distinct()];

    /// <summary>Applies the command line of `sift train` / `sift pretrain` (--model, --data, --output-dir, --limit, --device, then each --set) to a recipe.</summary>
    public static void ApplyCommandLine(ConfigTree tree, bool pretrain, string? model, string? data, string? outputDir, IEnumerable<string> sets, string? limit = null,
        string? device = null)
    {
        if (model != null) tree.Set(pretrain ? "tokenizer" : "model", model, "--model");
        if (data != null) tree.Set("data.train", data, "--data");
        if (outputDir != null) tree.Set("output.output_dir", outputDir, "--output-dir");
        if (limit != null) tree.Set("data.limit", limit, "--limit");
        if (device != null) tree.Set("device", device, "--device");
        foreach (var assignment in sets) tree.Set(assignment);
    }

    /// <summary>Binds every key of the schema, in order, from <paramref name="tree"/>; checks the rules between keys; rejects keys no row read.</summary>
    public static TrainRecipe Bind(ConfigTree tree, bool pretrain)
    {
        var recipe = Unbound(pretrain);
        // Lazily ordered: the objective's own keys are listed once objective.name is bound.
        foreach (var key in TrainRecipeKeys.Ordered(() => recipe.Objective.Definition))
            if (key.Present(recipe)) recipe = key.Bind(tree, recipe);
        RecipeRules.Check(recipe, tree);
        tree.RejectUnknown();
        return recipe;
    }

    /// <summary>
    /// A run's OUT/sift_recipe.yaml. Every key is written out, so whether it was a pre-training run only
    /// decides which keys are required: a pre-training run without a model folder names none.
    /// </summary>
    public static TrainRecipe LoadResolved(string path)
    {
        var tree = ConfigTree.Load(path);
        return Bind(tree, pretrain: !tree.Has("model"));
    }

    /// <summary>A recipe before any key is bound; <paramref name="objective"/> (default ntp) with its initial settings.</summary>
    public static TrainRecipe Unbound(bool pretrain, ObjectiveDefinition? objective = null)
    {
        objective ??= ObjectiveRegistry.Get(ObjectiveRegistry.DefaultName);
        return new TrainRecipe(
            new ModelSection(null, null, new Dictionary<string, string>(), null, null),
            new DataSection("", null, 0, DataLayout.Auto, null, null, new TokenizationOptions(), false, null, null),
            new ObjectiveSection(objective.Name, objective.InitialSettings, GroupByLength: true),
            new TrainingOptions(), null, "", pretrain);
    }

    /// <summary>This recipe's keys in the order the resolved recipe writes them.</summary>
    public IEnumerable<RecipeKey> Keys => TrainRecipeKeys.Ordered(() => Objective.Definition);

    /// <summary>The resolved recipe as YAML (what `sift train` saves as OUT/sift_recipe.yaml): each key the recipe writes, under its section.</summary>
    public string ToYaml() => RecipeYaml.Write(this);

    /// <summary>The data files it trains on: its objective's (SFTMix: both halves), or data.train.</summary>
    public IReadOnlyList<string> TrainingFiles => Objective.Definition.TrainingFiles(this)?.Select(f => f.Path).ToList() ?? [Data.Train];

    /// <summary>The handful of settings that identify a run at a glance; the whole recipe is OUT/sift_recipe.yaml.</summary>
    public string Summary()
    {
        var t = Training;
        string F(double d) => d.ToString("G4", CultureInfo.InvariantCulture);
        var parts = new List<string>();
        parts.Add(Model.Path != null ? $"model {Model.Path}" : $"pretrain (tokenizer {Model.Tokenizer})");
        parts.Add($"data {string.Join(" + ", TrainingFiles)}");
        if (Data.Limit is int limit) parts.Add($"first {limit} examples of each file (data.limit)");
        parts.Add($"objective {Objective.Name}");
        parts.Add($"learning_rate {F(t.LearningRate)} ({t.LrSchedulerType.ToString().ToLowerInvariant()})");
        parts.Add(t.MaxSteps > 0 ? $"max_steps {t.MaxSteps}" : $"{t.NumTrainEpochs} epochs");
        parts.Add($"batch {t.PerDeviceTrainBatchSize} x {t.GradientAccumulationSteps}");
        parts.Add($"max_length {Data.Tokenization.MaxLength}");
        parts.Add(t.Precision == Precision.Float32 ? "float32" : "bfloat16");
        if (Lora is { } l) parts.Add($"lora r {l.R}");
        parts.Add($"seed {t.Seed}");
        if (Device != ComputeDevice.Default) parts.Add($"device {Device}");
        return string.Join(", ", parts);
    }
}

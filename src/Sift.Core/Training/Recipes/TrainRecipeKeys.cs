using Sift.Config;
using Sift.Data.Layouts;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Models;
using Sift.Native;
using Sift.Training.Lora;
using Sift.Training.Objectives;
using Sift.Training.Recipes.Schema;
using static Sift.Training.Recipes.Schema.KeyTypes;
using static Sift.Config.Ranges;

namespace Sift.Training.Recipes;

/// <summary>
/// The train recipe's schema: every key of `sift train` / `sift pretrain` recipes but the objective's own
/// (those come from the selected <see cref="ObjectiveDefinition"/>, after objective.name), in the order
/// OUT/sift_recipe.yaml writes them. Names follow transformers' TrainingArguments / TRL's SFTConfig.
/// </summary>
public static class TrainRecipeKeys
{
    public static readonly string[] ModelConfigKeys =
    [
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "max_position_embeddings", "rope_theta", "rms_norm_eps", "tie_word_embeddings",
    ];

    private static readonly Dictionary<string, OverLengthPolicy> OverLength = new()
    {
        ["truncate"] = OverLengthPolicy.Truncate, ["drop"] = OverLengthPolicy.Drop,
    };
    private static readonly Dictionary<string, LrSchedulerType> Schedulers = new()
    {
        ["cosine"] = LrSchedulerType.Cosine, ["linear"] = LrSchedulerType.Linear, ["constant"] = LrSchedulerType.Constant,
    };
    private static readonly Dictionary<string, Precision> Dtypes = new()
    {
        ["float32"] = Precision.Float32, ["fp32"] = Precision.Float32, ["bfloat16"] = Precision.Bfloat16Mixed, ["bf16"] = Precision.Bfloat16Mixed,
    };

    private static readonly KeyType<DataLayout> Layout = new(DataLayoutNames.Choices.Replace(", ", " | "),
        (s, where) => DataLayoutNames.Parse(s, where), l => Quote(DataLayoutNames.Name(l)));

    /// <summary>Text checked by <paramref name="check"/> (which names the key and the fix) and kept as written.</summary>
    private static KeyType<string?> Checked(string name, Action<string, string> check) => new(name, (s, where) => { check(s, where); return s; }, Quoted.Format);

    /// <summary>A device's name as the recipe records it, refused (naming where it was set) when the installed libtorch lacks it.</summary>
    private static readonly KeyType<string> Device = new(ComputeDevice.Forms, (s, where) =>
    {
        var name = ComputeDevice.Normalize(s, where);
        ComputeDevice.Resolve(name, where);
        return name;
    }, Quote);

    private static readonly KeyType<int?> Limit = new("whole number ≥ 1", (s, where) => ExampleLimit.Parse(s, where), n => Int.Format(n!.Value));

    private static readonly KeyType<string> ObjectiveNames =
        Choice(ObjectiveRegistry.All.ToDictionary(d => d.Name, d => d.Name), name => name);

    /// <summary>objective.name: the selected objective's own keys follow it (<see cref="Ordered"/>).</summary>
    public static readonly RecipeKey ObjectiveNameKey = new RecipeKey<string>("objective.name", ObjectiveNames, _ => ObjectiveRegistry.DefaultName,
        "The training objective (its own keys follow it): " + string.Join("; ", ObjectiveRegistry.All.Select(d => $"{d.Name}, {d.Doc}")),
        r => r.Objective.Name, (r, v) => r with { Objective = r.Objective with { Name = v, Settings = ObjectiveRegistry.Get(v).InitialSettings } });

    public static readonly IReadOnlyList<RecipeKey> All =
    [
        Model("model", Quoted, _ => null, "Hugging Face folder of the model to fine-tune (required for train; with pretrain, the tokenizer's folder if tokenizer is unset)",
            m => m.Path, (m, v) => m with { Path = v }) with { Write = WritePolicy.WhenSet, Input = InputKind.Path },
        Model("tokenizer", Quoted, _ => null, "Folder with tokenizer.json or tokenizer.model, for pretrain",
            m => m.Tokenizer, (m, v) => m with { Tokenizer = v }) with { Write = WritePolicy.WhenSet, Input = InputKind.Path },
        Model("model_config.path", Quoted, _ => null, "config.json of the model to pre-train (default: a small Llama sized for the tokenizer)",
            m => m.ConfigPath, (m, v) => m with { ConfigPath = v }) with { Write = WritePolicy.WhenSet, Input = InputKind.Path },
        .. ModelConfigKeys.Select(ModelConfigValue),

        Data("data.train", Quoted, _ => "", "Training data file (JSONL, JSON, Parquet or .jsonl.zst, any layout data.format names)",
            d => d.Train, (d, v) => d with { Train = v ?? "" }) with { Input = InputKind.DataFile, DefaultDoc = "unset (required, unless the objective names its own files)" },
        Data("data.eval", Quoted, _ => null, "Held-out data file, evaluated every eval.eval_steps and at the end",
            d => d.Eval, (d, v) => d with { Eval = v }) with { Input = InputKind.DataFile },
        Data("data.eval_fraction", Number, _ => 0.0, "Share of the training examples held out (chosen by id) when data.eval is unset",
            d => d.EvalFraction, (d, v) => d with { EvalFraction = v }) with { Range = BelowOne },
        Data("data.format", Layout, _ => DataLayout.Auto, "Layout of the data files",
            d => d.Layout, (d, v) => d with { Layout = v }),
        Data("data.columns", Checked("mapping", (s, where) => ColumnMapping.Parse(s, where)), _ => null,
            "Field names of the file for the canonical ones, e.g. prompt=question,response=answer",
            d => d.Columns, (d, v) => d with { Columns = v }),
        Data("data.template", Quoted, _ => null, "Chat template name (default: the model's own; plain for pretrain)",
            d => d.Template, (d, v) => d with { Template = v }),
        new RecipeKey<int>("data.max_length", Int, _ => 1024, "Longest example in tokens (with data.packing, the packed row length)",
            r => r.Data.Tokenization.MaxLength,
            (r, v) => r with { Data = r.Data with { Tokenization = r.Data.Tokenization with { MaxLength = v } }, Training = r.Training with { PackedRowLength = v } })
        {
            Range = TokenizationOptions.MaxLengthRange,
        },
        Tokens("data.over_length", Choice(OverLength, p => p.ToString().ToLowerInvariant()), _ => OverLengthPolicy.Truncate,
            "Examples longer than max_length: truncate, or drop", t => t.OverLength, (t, v) => t with { OverLength = v }),
        Tokens("data.last_turn_only", Flag, _ => false, "Train only the last assistant turn (default: every assistant turn)",
            t => t.LastTurnOnly, (t, v) => t with { LastTurnOnly = v }),
        Tokens("data.train_on_prompt", Flag, r => r.Pretrain, "Train every token, prompt included (default: assistant turns only; pretrain: every token)",
            t => t.TrainOnPrompt, (t, v) => t with { TrainOnPrompt = v }),
        Training("data.packing", Flag, _ => false, "Pack several examples per row of max_length tokens, with block-diagonal attention",
            t => t.Packing, (t, v) => t with { Packing = v }),
        new RecipeKey<bool>("data.group_by_length", Flag, _ => true, "Batch examples of similar length together (ntp, neftune; sftmix forms its own pairs)",
            r => r.Objective.GroupByLength, (r, v) => r with { Objective = r.Objective with { GroupByLength = v } }),
        Data("data.skip_invalid", Flag, _ => false, "Skip (and count) examples that fail validation instead of stopping",
            d => d.SkipInvalid, (d, v) => d with { SkipInvalid = v }),
        Data("data.cache_dir", Quoted, _ => null, "Folder for the tokenized-data cache (default: no cache)",
            d => d.CacheDir, (d, v) => d with { CacheDir = v }),
        Data("data.limit", Limit, _ => null, "Read only the first N valid examples of each data file, in file order (quick trials)",
            d => d.Limit, (d, v) => d with { Limit = v }) with { Write = WritePolicy.WhenSet },

        ObjectiveNameKey,

        Training("optimizer.learning_rate", Number, ByMode(2e-5, pretrain: 1e-3), "Peak learning rate of AdamW (after warmup)",
            t => t.LearningRate, (t, v) => t with { LearningRate = v }) with { Range = TrainingOptions.LearningRateRange, Resume = ResumeRole.Adjustable },
        Training("optimizer.weight_decay", Number, ByMode(0.0, pretrain: 0.1), "AdamW's decoupled weight decay (not on norms and biases)",
            t => t.WeightDecay, (t, v) => t with { WeightDecay = v }) with { Range = TrainingOptions.WeightDecayRange, Resume = ResumeRole.Adjustable },
        Training("optimizer.adam_beta1", Number, _ => 0.9, "Adam's β1",
            t => t.AdamBeta1, (t, v) => t with { AdamBeta1 = v }) with { Range = TrainingOptions.AdamBeta1Range, Resume = ResumeRole.Adjustable },
        Training("optimizer.adam_beta2", Number, ByMode(0.999, pretrain: 0.95), "Adam's β2",
            t => t.AdamBeta2, (t, v) => t with { AdamBeta2 = v }) with { Range = TrainingOptions.AdamBeta2Range, Resume = ResumeRole.Adjustable },
        Training("optimizer.adam_epsilon", Number, _ => 1e-8, "Adam's ε",
            t => t.AdamEpsilon, (t, v) => t with { AdamEpsilon = v }) with { Range = TrainingOptions.AdamEpsilonRange, Resume = ResumeRole.Adjustable },
        Training("optimizer.max_grad_norm", Number, _ => 1.0, "Clip gradients to this global L2 norm; 0 = no clipping",
            t => t.MaxGradNorm, (t, v) => t with { MaxGradNorm = v }) with { Range = TrainingOptions.MaxGradNormRange, Resume = ResumeRole.Adjustable },

        Training("schedule.lr_scheduler_type", Choice(Schedulers, s => s.ToString().ToLowerInvariant()), _ => LrSchedulerType.Cosine,
            "Decay after warmup", t => t.LrSchedulerType, (t, v) => t with { LrSchedulerType = v }) with { Resume = ResumeRole.Adjustable },
        Training("schedule.warmup_ratio", Number, ByMode(0.03, pretrain: 0.05), "Warmup as a share of the steps",
            t => t.WarmupRatio, (t, v) => t with { WarmupRatio = v }) with { Range = TrainingOptions.WarmupRatioRange, Resume = ResumeRole.Adjustable },
        Training("schedule.warmup_steps", Long, _ => 0L, "Warmup steps; when > 0 it wins over warmup_ratio",
            t => t.WarmupSteps, (t, v) => t with { WarmupSteps = v }) with { Range = TrainingOptions.WarmupStepsRange, Resume = ResumeRole.Adjustable },
        Training("schedule.num_train_epochs", Int, ByMode(3, pretrain: 1), "Passes over the training data (unless max_steps is set)",
            t => t.NumTrainEpochs, (t, v) => t with { NumTrainEpochs = v }),
        Training("schedule.max_steps", Long, _ => -1L, "When > 0, the number of optimizer steps (epochs repeat as needed)",
            t => t.MaxSteps, (t, v) => t with { MaxSteps = v }),
        Training("schedule.per_device_train_batch_size", Int, _ => 8, "Examples per micro-batch",
            t => t.PerDeviceTrainBatchSize, (t, v) => t with { PerDeviceTrainBatchSize = v }) with { Range = TrainingOptions.PerDeviceTrainBatchSizeRange },
        Training("schedule.gradient_accumulation_steps", Int, _ => 1, "Micro-batches per optimizer step",
            t => t.GradientAccumulationSteps, (t, v) => t with { GradientAccumulationSteps = v }) with { Range = TrainingOptions.GradientAccumulationStepsRange },

        Training("precision.dtype", Choice(Dtypes, p => p == Precision.Float32 ? "float32" : "bfloat16"), _ => Precision.Float32,
            "Weights and arithmetic: float32, or bfloat16", t => t.Precision, (t, v) => t with { Precision = v }),
        Training("precision.master_weights", Flag, _ => true, "With bfloat16: keep float32 master weights for the optimizer (false: everything in bfloat16)",
            t => t.Precision != Precision.Bfloat16Pure,
            (t, v) => t with { Precision = !v && t.Precision == Precision.Bfloat16Mixed ? Precision.Bfloat16Pure : t.Precision }),
        Training("precision.gradient_checkpointing", Flag, _ => false, "Recompute activations in the backward pass (less memory, slower)",
            t => t.GradientCheckpointing, (t, v) => t with { GradientCheckpointing = v }),

        new RecipeKey<int>("lora.r", Int, _ => 0, "LoRA rank; 0 = full fine-tuning (the other lora keys apply when r > 0)",
            r => r.Lora?.R ?? 0, (r, v) => r with { Lora = v == 0 ? null : (r.Lora ?? new LoraConfig()) with { R = v } })
        {
            Range = AtLeast(0), Write = WritePolicy.WhenNotDefault,
        },
        Lora("lora.lora_alpha", Number, l => 2.0 * l.R, "LoRA scale numerator: the update is scaled by lora_alpha / r",
            l => l.Alpha, (l, v) => l with { Alpha = v }, LoraConfig.AlphaRange) with { DefaultDoc = "2·r" },
        Lora("lora.lora_dropout", Number, _ => 0.0, "Dropout on the adapter's input", l => l.Dropout, (l, v) => l with { Dropout = v }, LoraConfig.DropoutRange),
        Lora("lora.target_modules", List, _ => [LoraConfig.AllLinear], "Projections to adapt: all-linear, or names (q_proj, v_proj, ...)",
            l => l.TargetModules, (l, v) => l with { TargetModules = v }, new("all-linear, or projections LoRA can adapt", v => LoraConfig.TargetModulesProblem(v) == null)),
        Lora("lora.use_rslora", Flag, _ => false, "Rank-stabilized LoRA: scale by lora_alpha / √r", l => l.UseRslora, (l, v) => l with { UseRslora = v }),

        Training("eval.eval_steps", Long, _ => 0L, "Evaluate on the held-out data every N steps; 0 = only at the end",
            t => t.EvalSteps, (t, v) => t with { EvalSteps = v }) with { Range = TrainingOptions.EvalStepsRange, Resume = ResumeRole.Ignored },
        Training("eval.per_device_eval_batch_size", Int, _ => 8, "Examples per evaluation batch",
            t => t.PerDeviceEvalBatchSize, (t, v) => t with { PerDeviceEvalBatchSize = v }) with { Range = TrainingOptions.PerDeviceEvalBatchSizeRange },

        new RecipeKey<string?>("output.output_dir", Quoted, _ => null, "Folder for checkpoints, logs and the final model",
            r => r.OutputDir, (r, v) => r with { OutputDir = v! })
        {
            Required = "the folder for checkpoints, logs and the final model (output.output_dir or --output-dir)", Resume = ResumeRole.Ignored,
        },
        Training("output.save_steps", Long, _ => 0L, "Save a resumable checkpoint every N steps; 0 = only at the end",
            t => t.SaveSteps, (t, v) => t with { SaveSteps = v }) with { Range = TrainingOptions.SaveStepsRange, Resume = ResumeRole.Ignored },
        Training("output.save_total_limit", Int, _ => 2, "Keep at most this many resumable checkpoints (the newest)",
            t => t.SaveTotalLimit, (t, v) => t with { SaveTotalLimit = v }) with { Range = TrainingOptions.SaveTotalLimitRange, Resume = ResumeRole.Ignored },
        Training("output.logging_steps", Long, _ => 1L, "Write metrics every N steps",
            t => t.LoggingSteps, (t, v) => t with { LoggingSteps = v }) with { Range = TrainingOptions.LoggingStepsRange, Resume = ResumeRole.MatchWhenLoggingShapesUpdates },
        Training("output.confidence_checkpoints", Int, _ => 0, "Save this many evenly spaced snapshots for `sift score confidence`",
            t => t.ConfidenceCheckpoints, (t, v) => t with { ConfidenceCheckpoints = v }) with { Range = TrainingOptions.ConfidenceCheckpointsRange },
        Training("output.record_dynamics", Flag, _ => false, "Write every example's loss each time it is trained on (training_dynamics.jsonl, for `sift score dynamics`)",
            t => t.RecordDynamics, (t, v) => t with { RecordDynamics = v }),
        Model("output.save_dtype", Checked("float32 | bfloat16", (s, where) => DTypes.Parse(s, where)), _ => null,
            "dtype of the exported model (default: the training dtype)", m => m.SaveDType, (m, v) => m with { SaveDType = v }) with { Resume = ResumeRole.Ignored },

        Training("seed", Long, _ => 42L, "Seed of the data order, initialization, dropout and every random draw", t => t.Seed, (t, v) => t with { Seed = v }),
        new RecipeKey<string>("device", Device, _ => ComputeDevice.Default,
            "Where the model trains (a device other than cpu needs a libtorch build for it; docs/DEVICES.md)",
            r => r.Device, (r, v) => r with { Device = v }) { Write = WritePolicy.WhenNotDefault, Resume = ResumeRole.Adjustable },
    ];

    /// <summary>
    /// <see cref="All"/> with the keys of the objective <paramref name="objective"/> returns after objective.name;
    /// it is called once the keys before it are enumerated, so a binder sees the objective it has just bound.
    /// </summary>
    public static IEnumerable<RecipeKey> Ordered(Func<ObjectiveDefinition> objective)
    {
        foreach (var key in All)
        {
            yield return key;
            if (ReferenceEquals(key, ObjectiveNameKey))
                foreach (var own in objective().Keys) yield return own;
        }
    }

    private static Func<TrainRecipe, T> ByMode<T>(T fineTune, T pretrain) => r => r.Pretrain ? pretrain : fineTune;

    private static RecipeKey ModelConfigValue(string name) =>
        Model("model_config." + name, Verbatim, _ => null, $"config.json's {name} for the model to pre-train (over model_config.path)",
            m => m.ConfigValues.GetValueOrDefault(name),
            (m, v) => v == null ? m : m with { ConfigValues = new Dictionary<string, string>(m.ConfigValues) { [name] = v } }) with { Write = WritePolicy.WhenSet };

    private static RecipeKey<T> Model<T>(string path, KeyType<T> type, Func<TrainRecipe, T> fallback, string doc, Func<ModelSection, T> get, Func<ModelSection, T, ModelSection> set) =>
        new(path, type, fallback, doc, r => get(r.Model), (r, v) => r with { Model = set(r.Model, v) });

    private static RecipeKey<T> Data<T>(string path, KeyType<T> type, Func<TrainRecipe, T> fallback, string doc, Func<DataSection, T> get, Func<DataSection, T, DataSection> set) =>
        new(path, type, fallback, doc, r => get(r.Data), (r, v) => r with { Data = set(r.Data, v) });

    private static RecipeKey<T> Tokens<T>(string path, KeyType<T> type, Func<TrainRecipe, T> fallback, string doc,
        Func<TokenizationOptions, T> get, Func<TokenizationOptions, T, TokenizationOptions> set) =>
        Data(path, type, fallback, doc, d => get(d.Tokenization), (d, v) => d with { Tokenization = set(d.Tokenization, v) });

    private static RecipeKey<T> Training<T>(string path, KeyType<T> type, Func<TrainRecipe, T> fallback, string doc,
        Func<TrainingOptions, T> get, Func<TrainingOptions, T, TrainingOptions> set) =>
        new(path, type, fallback, doc, r => get(r.Training), (r, v) => r with { Training = set(r.Training, v) });

    /// <summary>A lora.* key other than lora.r: part of the recipe only with lora.r &gt; 0.</summary>
    private static RecipeKey<T> Lora<T>(string path, KeyType<T> type, Func<LoraConfig, T> fallback, string doc,
        Func<LoraConfig, T> get, Func<LoraConfig, T, LoraConfig> set, ValueRange<T>? range = null) =>
        new(path, type, r => fallback(r.Lora!), doc, r => get(r.Lora!), (r, v) => r with { Lora = set(r.Lora!, v) })
        {
            Present = r => r.Lora != null, Range = range,
        };
}

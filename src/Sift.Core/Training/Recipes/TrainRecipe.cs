using System.Globalization;
using System.Text;
using Sift.Config;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Tokenization;
using Sift.Native;
using Sift.Training.Objectives;

namespace Sift.Training.Recipes;

/// <summary>Where the model comes from: a Hugging Face folder to fine-tune, or a config to pre-train from random weights.</summary>
public sealed record ModelSection(string? Path, string? ConfigPath, IReadOnlyDictionary<string, string> ConfigValues, string? Tokenizer, string? SaveDType);

/// <summary>What to train on and how it is tokenized.</summary>
/// <param name="Limit">data.limit: read only the first N valid examples of each data file (paragraphs of a pretrain .txt), for quick trials; null reads them whole.</param>
public sealed record DataSection(
    string Train, string? Eval, double EvalFraction, DataLayout Layout, string? Columns, string? Template,
    TokenizationOptions Tokenization, bool SkipInvalid, string? CacheDir, int? Limit);

/// <summary>The loss: NTP, NEFTune, or SFTMix with its split and mixup settings.</summary>
/// <param name="GroupByLength">NTP/NEFTune batches of similar length (transformers' group_by_length); SFTMix forms its own pairs.</param>
public sealed record ObjectiveSection(ObjectiveKind Kind, NeftuneOptions? Neftune, SftMixSection? SftMix, bool GroupByLength);

/// <summary>SFTMix (docs/METHODS.md, SFTMix): the confident and unconfident halves (data files, e.g. from `sift select --preset sftmix`) and the mixup term.</summary>
public sealed record SftMixSection(string Confident, string Unconfident, SftMixOptions Options);

/// <summary>
/// A resolved `sift train` / `sift pretrain` recipe: every setting with its default filled in.
/// Sections: model, data, objective, optimizer, schedule, precision, lora, eval, output, seed, device.
/// </summary>
public sealed record TrainRecipe(ModelSection Model, DataSection Data, ObjectiveSection Objective, TrainingOptions Training,
    Sift.Training.Lora.LoraConfig? Lora, string OutputDir, bool Pretrain)
{
    /// <summary>Where the model trains (<see cref="ComputeDevice"/>): cpu, cuda, cuda:N or mps, as the recipe records it.</summary>
    public string Device { get; init; } = ComputeDevice.Default;

    private static readonly Dictionary<string, LrSchedulerType> Schedulers = new()
    {
        ["cosine"] = LrSchedulerType.Cosine, ["linear"] = LrSchedulerType.Linear, ["constant"] = LrSchedulerType.Constant,
    };
    private static readonly Dictionary<string, ObjectiveKind> Objectives = new()
    {
        ["ntp"] = ObjectiveKind.Ntp, ["neftune"] = ObjectiveKind.Neftune, ["sftmix"] = ObjectiveKind.SftMix,
    };
    private static readonly Dictionary<string, NeftuneLength> NeftuneLengths = new()
    {
        ["per_sequence"] = NeftuneLength.PerSequence, ["padded"] = NeftuneLength.Padded,
    };
    private static readonly Dictionary<string, OverLengthPolicy> OverLength = new()
    {
        ["truncate"] = OverLengthPolicy.Truncate, ["drop"] = OverLengthPolicy.Drop,
    };
    private static readonly Dictionary<string, Precision> Dtypes = new()
    {
        ["float32"] = Precision.Float32, ["fp32"] = Precision.Float32, ["bfloat16"] = Precision.Bfloat16Mixed, ["bf16"] = Precision.Bfloat16Mixed,
    };

    public static readonly string[] ModelConfigKeys =
    [
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "max_position_embeddings", "rope_theta", "rms_norm_eps", "tie_word_embeddings",
    ];

    /// <summary>The settings that name files or folders a run reads (outputs and caches are not inputs); keep in step with <see cref="Bind"/>.</summary>
    public static readonly string[] InputPathKeys =
        ["model", "tokenizer", "model_config.path", "data.train", "data.eval", "objective.confident", "objective.unconfident"];

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

    public static TrainRecipe Bind(ConfigTree c, bool pretrain)
    {
        var model = new ModelSection(
            c.String("model"), c.String("model_config.path"),
            ModelConfigKeys.Where(k => c.Has("model_config." + k)).ToDictionary(k => k, k => c.String("model_config." + k)!),
            c.String("tokenizer"), c.String("output.save_dtype"));
        if (pretrain && model.ConfigPath == null && model.ConfigValues.Count == 0)
            throw new SiftException("pretrain needs model_config: a config.json (model_config.path) or sizes (model_config.hidden_size, ...)");
        if (!pretrain && model.Path == null) throw new SiftException("model is required: the Hugging Face folder of the model to fine-tune");
        if (pretrain && model.Tokenizer == null && model.Path == null) throw new SiftException("tokenizer is required for pretrain: a folder with tokenizer.json or tokenizer.model");

        var kind = c.Enum("objective.name", ObjectiveKind.Ntp, Objectives);
        var tokenization = new TokenizationOptions
        {
            MaxLength = c.Int("data.max_length", 1024),
            OverLength = c.Enum("data.over_length", OverLengthPolicy.Truncate, OverLength),
            LastTurnOnly = c.Bool("data.last_turn_only", false),
            TrainOnPrompt = c.Bool("data.train_on_prompt", pretrain),
        };
        tokenization.Validate();
        var data = new DataSection(
            kind == ObjectiveKind.SftMix ? c.String("data.train", "")! : c.RequiredString("data.train", "the training data file (data.train)"), c.String("data.eval"), c.Double("data.eval_fraction", 0),
            DataLayoutNames.Parse(c.String("data.format", "auto")!), c.String("data.columns"), c.String("data.template"),
            tokenization, c.Bool("data.skip_invalid", false), c.String("data.cache_dir"),
            c.String("data.limit") is { } limit ? ExampleLimit.Parse(limit, $"{c.Origin("data.limit")}: data.limit") : null);
        if (data.EvalFraction is < 0 or >= 1) throw new SiftException($"data.eval_fraction must be in [0, 1), got {data.EvalFraction}");

        NeftuneOptions? neftune = null;
        if (kind == ObjectiveKind.SftMix && c.Has("objective.neftune_noise_alpha"))
            throw new SiftException($"{c.Origin("objective.neftune_noise_alpha")}: objective.neftune_noise_alpha does not apply to objective.name: sftmix " +
                                    "(SFTMix adds no NEFTune noise); remove it, or use objective.name: neftune");
        if (kind == ObjectiveKind.Neftune || c.Has("objective.neftune_noise_alpha"))
        {
            neftune = new NeftuneOptions(c.Double("objective.neftune_noise_alpha", 5), c.Enum("objective.neftune_length", NeftuneLength.PerSequence, NeftuneLengths));
            neftune.Validate();
        }
        SftMixSection? sftmix = null;
        if (kind == ObjectiveKind.SftMix)
        {
            var options = new SftMixOptions(
                c.Double("objective.mixup_alpha", 0.5), c.Double("objective.mixup_weight", 0.2), c.String("objective.pairing", "random") switch
                {
                    "random" => false, "length" => true,
                    var other => throw new SiftException($"objective.pairing must be random or length, got '{other}'"),
                }, c.Long("objective.diagnostic_steps", 10), c.Double("objective.ntp_weight", 1.0), c.Bool("objective.mixup_detach_hidden", false));
            if (!(options.Alpha > 0)) throw new SiftException($"objective.mixup_alpha must be positive, got {options.Alpha}");
            if (!(options.Mu >= 0) || double.IsInfinity(options.Mu)) throw new SiftException($"objective.mixup_weight must be finite and ≥ 0, got {options.Mu}");
            if (!(options.NtpWeight >= 0) || double.IsInfinity(options.NtpWeight)) throw new SiftException($"objective.ntp_weight must be finite and ≥ 0, got {options.NtpWeight}");
            if (options.NtpWeight == 0 && options.Mu == 0)
                throw new SiftException("objective.ntp_weight and objective.mixup_weight are both 0, so the loss is 0 and nothing trains; set ntp_weight: 0 with mixup_weight > 0 for mixup-only training");
            if (options.DiagnosticSteps < 0) throw new SiftException($"objective.diagnostic_steps must be ≥ 0, got {options.DiagnosticSteps}");
            sftmix = new SftMixSection(
                c.RequiredString("objective.confident", "the confident half, a data file (e.g. from `sift select --preset sftmix`)"),
                c.RequiredString("objective.unconfident", "the unconfident half, a data file (e.g. from `sift select --preset sftmix`)"), options);
        }

        var precision = c.Enum("precision.dtype", Precision.Float32, Dtypes);
        // Read at every dtype: the resolved recipe writes it for float32 too, and must bind again (Recipes/RunRecipe).
        bool masterWeights = c.Bool("precision.master_weights", true);
        if (precision == Precision.Bfloat16Mixed && !masterWeights) precision = Precision.Bfloat16Pure;
        var training = new TrainingOptions
        {
            LearningRate = c.Double("optimizer.learning_rate", pretrain ? 1e-3 : 2e-5),
            WeightDecay = c.Double("optimizer.weight_decay", pretrain ? 0.1 : 0.0),
            AdamBeta1 = c.Double("optimizer.adam_beta1", 0.9),
            AdamBeta2 = c.Double("optimizer.adam_beta2", pretrain ? 0.95 : 0.999),
            AdamEpsilon = c.Double("optimizer.adam_epsilon", 1e-8),
            MaxGradNorm = c.Double("optimizer.max_grad_norm", 1.0),
            LrSchedulerType = c.Enum("schedule.lr_scheduler_type", LrSchedulerType.Cosine, Schedulers),
            WarmupRatio = c.Double("schedule.warmup_ratio", pretrain ? 0.05 : 0.03),
            WarmupSteps = c.Long("schedule.warmup_steps", 0),
            NumTrainEpochs = c.Int("schedule.num_train_epochs", pretrain ? 1 : 3),
            MaxSteps = c.Long("schedule.max_steps", -1),
            PerDeviceTrainBatchSize = c.Int("schedule.per_device_train_batch_size", 8),
            GradientAccumulationSteps = c.Int("schedule.gradient_accumulation_steps", 1),
            Packing = c.Bool("data.packing", false),
            PackedRowLength = tokenization.MaxLength,
            Precision = precision,
            GradientCheckpointing = c.Bool("precision.gradient_checkpointing", false),
            Seed = c.Long("seed", 42),
            SaveSteps = c.Long("output.save_steps", 0),
            SaveTotalLimit = c.Int("output.save_total_limit", 2),
            LoggingSteps = c.Long("output.logging_steps", 1),
            EvalSteps = c.Long("eval.eval_steps", 0),
            PerDeviceEvalBatchSize = c.Int("eval.per_device_eval_batch_size", 8),
            ConfidenceCheckpoints = c.Int("output.confidence_checkpoints", 0),
            RecordDynamics = c.Bool("output.record_dynamics", false),
        };
        training.Validate();

        Sift.Training.Lora.LoraConfig? lora = null;
        int r = c.Int("lora.r", 0);
        if (r > 0)
        {
            lora = new Sift.Training.Lora.LoraConfig
            {
                R = r,
                Alpha = c.Double("lora.lora_alpha", 2.0 * r),
                Dropout = c.Double("lora.lora_dropout", 0.0),
                TargetModules = c.List("lora.target_modules", [Sift.Training.Lora.LoraConfig.AllLinear]),
                UseRslora = c.Bool("lora.use_rslora", false),
            };
            lora.Validate();
        }
        else if (r < 0) throw new SiftException($"lora.r must be ≥ 0 (0 = full fine-tuning), got {r}");
        if (lora != null && sftmix is { Options.DetachMixupHidden: true })
            throw new SiftException("objective.mixup_detach_hidden: true with lora.r > 0: LoRA leaves the LM head frozen, so the detached mixup term " +
                                    "would train nothing; fine-tune fully (lora.r: 0) or set objective.mixup_detach_hidden: false");
        var output = c.RequiredString("output.output_dir", "the folder for checkpoints, logs and the final model (output.output_dir or --output-dir)");
        var groupByLength = c.Bool("data.group_by_length", true);
        string deviceSetting = c.Origin("device") switch { null => "device", "--device" => "--device", var origin => $"{origin}: device" };
        var device = ComputeDevice.Normalize(c.String("device"), deviceSetting);
        ComputeDevice.Resolve(device, deviceSetting); // refused here, naming where it was set, when the installed libtorch lacks it
        c.RejectUnknown();
        return new TrainRecipe(model, data, new ObjectiveSection(kind, neftune, sftmix, groupByLength), training, lora, output, pretrain) { Device = device };
    }

    /// <summary>The resolved recipe as YAML (what `sift train` prints and saves as OUT/sift_recipe.yaml).</summary>
    public string ToYaml()
    {
        var t = Training;
        var sb = new StringBuilder();
        void Line(string key, object? value, int indent = 2) =>
            sb.Append(' ', indent).Append(key).Append(": ").AppendLine(value switch
            {
                null => "null",
                bool b => b ? "true" : "false",
                double d => d.ToString("R", CultureInfo.InvariantCulture),
                string s => Quote(s),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            });
        if (Model.Path != null) sb.AppendLine($"model: {Quote(Model.Path)}");
        if (Model.Tokenizer != null) sb.AppendLine($"tokenizer: {Quote(Model.Tokenizer)}");
        if (Model.ConfigPath != null || Model.ConfigValues.Count > 0)
        {
            sb.AppendLine("model_config:");
            if (Model.ConfigPath != null) Line("path", Model.ConfigPath);
            foreach (var (k, v) in Model.ConfigValues) sb.AppendLine($"  {k}: {v}");
        }
        sb.AppendLine("data:");
        Line("train", Data.Train); Line("eval", Data.Eval); Line("eval_fraction", Data.EvalFraction);
        Line("format", DataLayoutNames.Name(Data.Layout)); Line("columns", Data.Columns); Line("template", Data.Template);
        Line("max_length", Data.Tokenization.MaxLength); Line("over_length", Data.Tokenization.OverLength.ToString().ToLowerInvariant());
        Line("last_turn_only", Data.Tokenization.LastTurnOnly); Line("train_on_prompt", Data.Tokenization.TrainOnPrompt);
        Line("packing", t.Packing); Line("group_by_length", Objective.GroupByLength); Line("skip_invalid", Data.SkipInvalid); Line("cache_dir", Data.CacheDir);
        // Only when set, so runs without it keep their resolved recipe and resume signature.
        if (Data.Limit is int limit) Line("limit", limit);
        sb.AppendLine("objective:");
        Line("name", Objective.Kind.ToString().ToLowerInvariant());
        if (Objective.Neftune is { } n) { Line("neftune_noise_alpha", n.Alpha); Line("neftune_length", n.Length == NeftuneLength.PerSequence ? "per_sequence" : "padded"); }
        if (Objective.SftMix is { } m)
        {
            Line("confident", m.Confident); Line("unconfident", m.Unconfident); Line("mixup_alpha", m.Options.Alpha); Line("mixup_weight", m.Options.Mu);
            Line("pairing", m.Options.PairByLength ? "length" : "random"); Line("diagnostic_steps", m.Options.DiagnosticSteps);
            // Written only away from their defaults, so the resolved recipe and the resume signature of every
            // run that does not use them are what they were before the keys existed.
            if (m.Options.NtpWeight != 1.0) Line("ntp_weight", m.Options.NtpWeight);
            if (m.Options.DetachMixupHidden) Line("mixup_detach_hidden", true);
        }
        sb.AppendLine("optimizer:");
        Line("learning_rate", t.LearningRate); Line("weight_decay", t.WeightDecay); Line("adam_beta1", t.AdamBeta1);
        Line("adam_beta2", t.AdamBeta2); Line("adam_epsilon", t.AdamEpsilon); Line("max_grad_norm", t.MaxGradNorm);
        sb.AppendLine("schedule:");
        Line("lr_scheduler_type", t.LrSchedulerType.ToString().ToLowerInvariant()); Line("warmup_ratio", t.WarmupRatio);
        Line("warmup_steps", t.WarmupSteps); Line("num_train_epochs", t.NumTrainEpochs); Line("max_steps", t.MaxSteps);
        Line("per_device_train_batch_size", t.PerDeviceTrainBatchSize); Line("gradient_accumulation_steps", t.GradientAccumulationSteps);
        sb.AppendLine("precision:");
        Line("dtype", t.Precision == Precision.Float32 ? "float32" : "bfloat16"); Line("master_weights", t.Precision != Precision.Bfloat16Pure);
        Line("gradient_checkpointing", t.GradientCheckpointing);
        if (Lora is { } l)
        {
            sb.AppendLine("lora:");
            Line("r", l.R); Line("lora_alpha", l.Alpha); Line("lora_dropout", l.Dropout);
            Line("target_modules", string.Join(",", l.TargetModules)); Line("use_rslora", l.UseRslora);
        }
        sb.AppendLine("eval:");
        Line("eval_steps", t.EvalSteps); Line("per_device_eval_batch_size", t.PerDeviceEvalBatchSize);
        sb.AppendLine("output:");
        Line("output_dir", OutputDir); Line("save_steps", t.SaveSteps); Line("save_total_limit", t.SaveTotalLimit);
        Line("logging_steps", t.LoggingSteps); Line("confidence_checkpoints", t.ConfidenceCheckpoints); Line("record_dynamics", t.RecordDynamics);
        Line("save_dtype", Model.SaveDType);
        sb.AppendLine($"seed: {t.Seed}");
        // Only off the default, so CPU runs keep their resolved recipe and resume signature.
        if (Device != ComputeDevice.Default) sb.AppendLine($"device: {Quote(Device)}");
        return sb.ToString();
    }

    /// <summary>The handful of settings that identify a run at a glance; the whole recipe is OUT/sift_recipe.yaml.</summary>
    public string Summary()
    {
        var t = Training;
        string F(double d) => d.ToString("G4", CultureInfo.InvariantCulture);
        var parts = new List<string>();
        parts.Add(Model.Path != null ? $"model {Model.Path}" : $"pretrain (tokenizer {Model.Tokenizer})");
        parts.Add(Objective.SftMix is { } m ? $"data {m.Confident} + {m.Unconfident}" : $"data {Data.Train}");
        if (Data.Limit is int limit) parts.Add($"first {limit} examples of each file (data.limit)");
        parts.Add($"objective {Objective.Kind.ToString().ToLowerInvariant()}");
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

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

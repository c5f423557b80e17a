using Sift.Config;
using Sift.Data.Tokenization;
using Sift.Models;
using static Sift.Config.Ranges;

namespace Sift.Training;

/// <summary>Weights and arithmetic: fp32; bf16 compute with fp32 master weights; or everything in bf16.</summary>
public enum Precision { Float32, Bfloat16Mixed, Bfloat16Pure }

/// <summary>
/// The trainer's settings. Names follow transformers' TrainingArguments / TRL's SFTConfig
/// (learning_rate, num_train_epochs, gradient_accumulation_steps, ...).
/// </summary>
public sealed record TrainingOptions
{
    public double LearningRate { get; init; } = 2e-5;
    public double WeightDecay { get; init; } = 0.0;
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>Clip gradients to this global L2 norm; 0 = no clipping (the norm is still logged).</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public LrSchedulerType LrSchedulerType { get; init; } = LrSchedulerType.Cosine;
    public double WarmupRatio { get; init; }
    /// <summary>Warmup steps; when > 0 it wins over <see cref="WarmupRatio"/>.</summary>
    public long WarmupSteps { get; init; }
    public int NumTrainEpochs { get; init; } = 3;
    /// <summary>When > 0, the number of optimizer steps (epochs repeat as needed), overriding num_train_epochs.</summary>
    public long MaxSteps { get; init; } = -1;
    public int PerDeviceTrainBatchSize { get; init; } = 8;
    public int GradientAccumulationSteps { get; init; } = 1;
    /// <summary>Several examples per row of max_length tokens, with block-diagonal attention.</summary>
    public bool Packing { get; init; }
    public int PackedRowLength { get; init; } = 1024;
    public Precision Precision { get; init; } = Precision.Float32;
    public bool GradientCheckpointing { get; init; }
    public long Seed { get; init; } = 42;

    /// <summary>Save a resumable checkpoint every N steps (0 = only at the end).</summary>
    public long SaveSteps { get; init; }
    /// <summary>Keep at most this many resumable checkpoints (the newest).</summary>
    public int SaveTotalLimit { get; init; } = 2;
    public long LoggingSteps { get; init; } = 1;
    /// <summary>Evaluate on the held-out examples every N steps (0 = only at the end).</summary>
    public long EvalSteps { get; init; }
    public int PerDeviceEvalBatchSize { get; init; } = 8;
    /// <summary>Save this many evenly spaced model snapshots for SFTMix confidence / cartography scoring (0 = none).</summary>
    public int ConfidenceCheckpoints { get; init; }
    /// <summary>Write every example's training loss, each time it is trained on, to training_dynamics.jsonl.</summary>
    public bool RecordDynamics { get; init; }

    /// <summary>Each ranged setting's range; the recipe key that sets it (<c>TrainRecipeKeys</c>) checks the same one.</summary>
    public static readonly ValueRange<double> LearningRateRange = FinitePositive;
    public static readonly ValueRange<double> WeightDecayRange = NonNegative;
    public static readonly ValueRange<double> AdamBeta1Range = BelowOne;
    public static readonly ValueRange<double> AdamBeta2Range = BelowOne;
    public static readonly ValueRange<double> AdamEpsilonRange = Positive;
    public static readonly ValueRange<double> MaxGradNormRange = NonNegative;
    public static readonly ValueRange<double> WarmupRatioRange = UpToOne;
    public static readonly ValueRange<long> WarmupStepsRange = AtLeast(0L);
    public static readonly ValueRange<int> PerDeviceTrainBatchSizeRange = AtLeast(1);
    public static readonly ValueRange<int> GradientAccumulationStepsRange = AtLeast(1);
    public static readonly ValueRange<long> SaveStepsRange = AtLeast(0L);
    public static readonly ValueRange<int> SaveTotalLimitRange = AtLeast(1);
    public static readonly ValueRange<long> LoggingStepsRange = AtLeast(1L);
    public static readonly ValueRange<long> EvalStepsRange = AtLeast(0L);
    public static readonly ValueRange<int> PerDeviceEvalBatchSizeRange = AtLeast(1);
    public static readonly ValueRange<int> ConfidenceCheckpointsRange = AtLeast(0);

    /// <summary>Checks options built in code against the ranges a recipe is checked against as it binds; errors name the recipe key.</summary>
    public void Validate()
    {
        LearningRateRange.Check("optimizer.learning_rate", LearningRate);
        WeightDecayRange.Check("optimizer.weight_decay", WeightDecay);
        AdamBeta1Range.Check("optimizer.adam_beta1", AdamBeta1);
        AdamBeta2Range.Check("optimizer.adam_beta2", AdamBeta2);
        AdamEpsilonRange.Check("optimizer.adam_epsilon", AdamEpsilon);
        MaxGradNormRange.Check("optimizer.max_grad_norm", MaxGradNorm);
        WarmupRatioRange.Check("schedule.warmup_ratio", WarmupRatio);
        WarmupStepsRange.Check("schedule.warmup_steps", WarmupSteps);
        if (LengthProblem() is { } problem) throw new SiftException(problem);
        PerDeviceTrainBatchSizeRange.Check("schedule.per_device_train_batch_size", PerDeviceTrainBatchSize);
        GradientAccumulationStepsRange.Check("schedule.gradient_accumulation_steps", GradientAccumulationSteps);
        TokenizationOptions.MaxLengthRange.Check("data.max_length", PackedRowLength);
        SaveStepsRange.Check("output.save_steps", SaveSteps);
        EvalStepsRange.Check("eval.eval_steps", EvalSteps);
        LoggingStepsRange.Check("output.logging_steps", LoggingSteps);
        SaveTotalLimitRange.Check("output.save_total_limit", SaveTotalLimit);
        PerDeviceEvalBatchSizeRange.Check("eval.per_device_eval_batch_size", PerDeviceEvalBatchSize);
        ConfidenceCheckpointsRange.Check("output.confidence_checkpoints", ConfidenceCheckpoints);
    }

    /// <summary>What is wrong with how long training runs (no epoch and no max_steps), or null; a rule between two keys, so no range expresses it.</summary>
    public string? LengthProblem() => NumTrainEpochs < 1 && MaxSteps <= 0
        ? $"schedule.num_train_epochs must be ≥ 1 (or set schedule.max_steps), got {NumTrainEpochs}"
        : null;

    public TorchSharp.torch.ScalarType ComputeDType => Precision == Precision.Float32 ? TorchSharp.torch.ScalarType.Float32 : TorchSharp.torch.ScalarType.BFloat16;
}

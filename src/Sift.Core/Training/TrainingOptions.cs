using Sift.Models;

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

    public void Validate()
    {
        static void Require(bool ok, string message) { if (!ok) throw new SiftException(message); }
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"learning_rate must be a positive number, got {LearningRate}");
        Require(WeightDecay >= 0, $"weight_decay must be ≥ 0, got {WeightDecay}");
        Require(AdamBeta1 is >= 0 and < 1 && AdamBeta2 is >= 0 and < 1, $"adam_beta1 and adam_beta2 must be in [0, 1), got {AdamBeta1} and {AdamBeta2}");
        Require(AdamEpsilon > 0, $"adam_epsilon must be positive, got {AdamEpsilon}");
        Require(MaxGradNorm >= 0, $"max_grad_norm must be ≥ 0 (0 turns clipping off), got {MaxGradNorm}");
        Require(WarmupRatio is >= 0 and <= 1, $"warmup_ratio must be in [0, 1], got {WarmupRatio}");
        Require(WarmupSteps >= 0, $"warmup_steps must be ≥ 0, got {WarmupSteps}");
        Require(NumTrainEpochs >= 1 || MaxSteps > 0, $"num_train_epochs must be ≥ 1 (or set max_steps), got {NumTrainEpochs}");
        Require(PerDeviceTrainBatchSize >= 1, $"per_device_train_batch_size must be ≥ 1, got {PerDeviceTrainBatchSize}");
        Require(GradientAccumulationSteps >= 1, $"gradient_accumulation_steps must be ≥ 1, got {GradientAccumulationSteps}");
        Require(PackedRowLength >= 2, $"max_length (the packed row length) must be ≥ 2, got {PackedRowLength}");
        Require(SaveSteps >= 0 && EvalSteps >= 0 && LoggingSteps >= 1, "save_steps and eval_steps must be ≥ 0 and logging_steps ≥ 1");
        Require(SaveTotalLimit >= 1, $"save_total_limit must be ≥ 1, got {SaveTotalLimit}");
        Require(PerDeviceEvalBatchSize >= 1, $"per_device_eval_batch_size must be ≥ 1, got {PerDeviceEvalBatchSize}");
        Require(ConfidenceCheckpoints >= 0, $"confidence_checkpoints must be ≥ 0, got {ConfidenceCheckpoints}");
    }

    public TorchSharp.torch.ScalarType ComputeDType => Precision == Precision.Float32 ? TorchSharp.torch.ScalarType.Float32 : TorchSharp.torch.ScalarType.BFloat16;
}

namespace Sift.Training;

/// <summary>What the trainer tells its caller after each optimizer step (for progress display).</summary>
public sealed record StepReport(long Step, long TotalSteps, int Epoch, double Loss, double LearningRate, double GradNorm, double TokensPerSecond, TimeSpan Remaining);

/// <summary>How a run ended.</summary>
public sealed record TrainingResult(long Steps, double FinalLoss, EvalResult? Eval, string? ModelDir, bool Interrupted);

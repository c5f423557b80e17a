namespace Sift.Training;

/// <summary>What the trainer tells its caller after each optimizer step (for progress display).</summary>
public sealed record StepReport(long Step, long TotalSteps, int Epoch, double Loss, double LearningRate, double GradNorm, double TokensPerSecond, TimeSpan Remaining);

/// <summary>How a run ended.</summary>
/// <param name="FinalLoss">The last step's loss; for a resumed run that was already complete, the loss its final checkpoint recorded.</param>
/// <param name="AlreadyComplete">A resume from the run's final checkpoint: no step was left to train.</param>
public sealed record TrainingResult(long Steps, double FinalLoss, EvalResult? Eval, string? ModelDir, bool Interrupted, bool AlreadyComplete = false);

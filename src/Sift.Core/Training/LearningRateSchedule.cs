namespace Sift.Training;

public enum LrSchedulerType { Cosine, Linear, Constant }

/// <summary>
/// Linear warmup from 0, then cosine or linear decay to 0 (or constant), as transformers'
/// get_cosine_schedule_with_warmup / get_linear_schedule_with_warmup: optimizer step s (0-based)
/// uses the rate at s, so with warmup the first step's rate is 0.
/// </summary>
public sealed record LearningRateSchedule(double PeakRate, LrSchedulerType Type, long WarmupSteps, long TotalSteps)
{
    public double RateAt(long step)
    {
        if (step < WarmupSteps) return PeakRate * step / Math.Max(1, WarmupSteps);
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Type switch
        {
            LrSchedulerType.Cosine => PeakRate * Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
            LrSchedulerType.Linear => PeakRate * Math.Max(0, 1 - progress),
            _ => PeakRate,
        };
    }
}

namespace Sift.Training;

/// <summary>
/// Decides which checkpoint is safe to resume from when a run diverges. Weights that have already
/// blown up can still give a finite loss (far above its level) for a few steps before the loss
/// turns NaN, or saturate into a flat loss with no gradient, so "the newest checkpoint" is not good
/// enough. A checkpoint is good when its weights are finite (the trainer saves no other) and their
/// largest magnitude is at most <see cref="GrowthFactor"/> times the run's starting one, the step
/// that made it was in range, and so was the next step, which ran on its weights. A step is in
/// range when its loss and gradient norm are finite and at most <see cref="SpikeFactor"/> times
/// their median over the last <see cref="Window"/> steps.
/// </summary>
public sealed class DivergenceWatch
{
    public const double SpikeFactor = 10;
    public const int Window = 32;
    public const double GrowthFactor = 10;

    private readonly Queue<double> _losses;
    private readonly Queue<double> _norms;
    private (long Step, bool Candidate)? _pending;

    /// <param name="resumed">The state of the checkpoint a run resumes from, or null for a fresh run.</param>
    /// <param name="currentMaxAbsWeight">The largest weight magnitude now; the start of the run unless the state recorded it.</param>
    public DivergenceWatch(TrainerState? resumed, double currentMaxAbsWeight)
    {
        StartMaxAbsWeight = resumed?.StartMaxAbsWeight ?? currentMaxAbsWeight;
        _losses = new Queue<double>(resumed?.RecentLosses ?? []);
        _norms = new Queue<double>(resumed?.RecentGradNorms ?? []);
        if (resumed == null) return;
        LastGood = resumed.LastGoodStep;
        _pending = (resumed.GlobalStep, resumed.StepInRange);
    }

    /// <summary>The largest weight magnitude when the run started.</summary>
    public double StartMaxAbsWeight { get; }

    /// <summary>The newest checkpoint step known to be good, or null.</summary>
    public long? LastGood { get; private set; }

    /// <summary>Whether the last observed step was in range.</summary>
    public bool LastStepInRange { get; private set; } = true;

    public IReadOnlyCollection<double> RecentLosses => _losses;
    public IReadOnlyCollection<double> RecentGradNorms => _norms;

    /// <summary>Records a finished step's loss and gradient norm, and settles the checkpoint its weights came from.</summary>
    public void Observe(double loss, double gradNorm)
    {
        LastStepInRange = InRange(loss, _losses) && InRange(gradNorm, _norms);
        if (_pending is { } pending && pending.Candidate && LastStepInRange) LastGood = pending.Step;
        _pending = null;
        Push(_losses, loss);
        Push(_norms, gradNorm);
    }

    /// <summary>A checkpoint (with finite weights) of the last observed step was saved; the next step decides whether it is good.</summary>
    public void Saved(long step, double maxAbsWeight) =>
        _pending = (step, LastStepInRange && maxAbsWeight <= GrowthFactor * StartMaxAbsWeight);

    private static bool InRange(double value, IReadOnlyCollection<double> recent)
    {
        if (!double.IsFinite(value)) return false;
        if (recent.Count == 0) return true;
        var sorted = recent.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return value <= SpikeFactor * median;
    }

    private static void Push(Queue<double> queue, double value)
    {
        if (!double.IsFinite(value)) return;
        queue.Enqueue(value);
        while (queue.Count > Window) queue.Dequeue();
    }
}

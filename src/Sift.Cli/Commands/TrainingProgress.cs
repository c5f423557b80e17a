using Sift.Training;

namespace Sift.Cli.Commands;

/// <summary>A live one-line progress bar on a terminal; plain log lines every logging step otherwise.</summary>
public sealed class TrainingProgress(TextWriter output, bool interactive, long loggingSteps)
{
    private bool _lineOpen;

    public void Step(StepReport r)
    {
        var text = $"step {r.Step}/{r.TotalSteps}  loss {r.Loss:F4}  lr {r.LearningRate:E2}  grad_norm {r.GradNorm:F3}  {r.TokensPerSecond:F0} tok/s  ETA {r.Remaining:hh\\:mm\\:ss}";
        if (interactive)
        {
            int width = 24, filled = (int)(width * r.Step / Math.Max(1, r.TotalSteps));
            output.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {text}  ");
            _lineOpen = true;
        }
        else if (r.Step % loggingSteps == 0 || r.Step == r.TotalSteps)
        {
            output.WriteLine(text);
        }
    }

    public void Message(string message)
    {
        Done();
        output.WriteLine(message);
    }

    public void Done()
    {
        if (!_lineOpen) return;
        output.WriteLine();
        _lineOpen = false;
    }
}

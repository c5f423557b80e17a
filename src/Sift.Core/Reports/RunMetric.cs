using System.Globalization;

namespace Sift.Reports;

/// <summary>A number the comparison table shows for each run, how it is written, and whether a seed verdict is drawn on it.</summary>
public sealed record RunMetric(string Label, Func<RunHistory, double?> Value, MetricFormat Format, bool HigherIsBetter, bool Judged)
{
    public string Write(double value) => Format switch
    {
        MetricFormat.Count => value.ToString("N0", CultureInfo.InvariantCulture),
        MetricFormat.Percent => (value * 100).ToString("F1", CultureInfo.InvariantCulture) + "%",
        MetricFormat.Loss => value.ToString("F4", CultureInfo.InvariantCulture),
        _ => value.ToString("F3", CultureInfo.InvariantCulture),
    };

    /// <summary>The comparison's columns: training facts, then the training log's last evaluation, then `sift eval`'s numbers.</summary>
    public static readonly IReadOnlyList<RunMetric> All =
    [
        new("train examples", r => r.Data?.TrainExamples, MetricFormat.Count, false, false),
        new("steps", r => r.Steps, MetricFormat.Count, false, false),
        new("final train loss", r => r.Last("loss"), MetricFormat.Loss, false, false),
        new("eval loss (log)", r => r.Last("eval_loss"), MetricFormat.Loss, false, true),
        new("eval ppl (log)", r => r.Last("eval_perplexity"), MetricFormat.Plain, false, false),
        new("eval token acc (log)", r => r.Last("eval_token_accuracy"), MetricFormat.Percent, true, true),
        new("held-out loss", r => r.Eval?.EvalLoss, MetricFormat.Loss, false, true),
        new("held-out ppl", r => r.Eval?.EvalPerplexity, MetricFormat.Plain, false, false),
        new("held-out token acc", r => r.Eval?.EvalTokenAccuracy, MetricFormat.Percent, true, true),
        new("exact match", r => r.Eval?.Generation?.ExactMatch, MetricFormat.Percent, true, true),
        new("IFEval prompt acc", r => r.Eval?.Ifeval?.PromptStrictAccuracy, MetricFormat.Percent, true, true),
        new("IFEval instruction acc", r => r.Eval?.Ifeval?.InstructionStrictAccuracy, MetricFormat.Percent, true, true),
    ];
}

public enum MetricFormat { Count, Loss, Percent, Plain }

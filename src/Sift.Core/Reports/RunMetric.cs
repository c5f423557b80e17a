using System.Globalization;

namespace Sift.Reports;

/// <summary>A number the comparison tables show for each run, how it is written, and whether a seed verdict is drawn on it.</summary>
/// <param name="Qualified">The name outside its own table (seed groups, verdicts), when the label alone is ambiguous there.</param>
public sealed record RunMetric(string Label, Func<RunHistory, double?> Value, MetricFormat Format, bool HigherIsBetter, bool Judged, string? Qualified = null)
{
    public string FullLabel => Qualified ?? Label;

    public string Write(double value) => Format switch
    {
        MetricFormat.Count => value.ToString("N0", CultureInfo.InvariantCulture),
        MetricFormat.Percent => (value * 100).ToString("F1", CultureInfo.InvariantCulture) + "%",
        MetricFormat.Loss => value.ToString("F4", CultureInfo.InvariantCulture),
        _ => value.ToString("F3", CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The training table's columns: training facts and the training log's last evaluation. The train
    /// loss is the next-token part, comparable across objectives (SFTMix's logged loss adds μ·mixup).
    /// </summary>
    public static readonly IReadOnlyList<RunMetric> Training =
    [
        new("train examples", r => r.Data?.TrainExamples, MetricFormat.Count, false, false),
        new("steps", r => r.Steps, MetricFormat.Count, false, false),
        new("final train NTP loss", r => r.Last("ntp_loss") ?? r.Last("loss"), MetricFormat.Loss, false, false),
        new("eval loss (log)", r => r.Last("eval_loss"), MetricFormat.Loss, false, true),
        new("eval ppl (log)", r => r.Last("eval_perplexity"), MetricFormat.Plain, false, false),
        new("eval token acc (log)", r => r.Last("eval_token_accuracy"), MetricFormat.Percent, true, true),
    ];

    /// <summary>The evaluation table's columns: the numbers of `sift eval` on the run's model.</summary>
    public static readonly IReadOnlyList<RunMetric> Evaluation =
    [
        new("loss", r => r.Eval?.EvalLoss, MetricFormat.Loss, false, true, "sift eval loss"),
        new("perplexity", r => r.Eval?.EvalPerplexity, MetricFormat.Plain, false, false, "sift eval perplexity"),
        new("token accuracy", r => r.Eval?.EvalTokenAccuracy, MetricFormat.Percent, true, true, "sift eval token accuracy"),
        new("exact match", r => r.Eval?.Generation?.ExactMatch, MetricFormat.Percent, true, true),
        new("GSM8K strict", r => r.Eval?.Generation?.Gsm8k?.StrictMatch, MetricFormat.Percent, true, true),
        new("GSM8K flexible", r => r.Eval?.Generation?.Gsm8k?.FlexibleExtract, MetricFormat.Percent, true, true),
        new("IFEval prompt strict", r => r.Eval?.Ifeval?.PromptStrictAccuracy, MetricFormat.Percent, true, true),
        new("IFEval prompt loose", r => r.Eval?.Ifeval?.PromptLooseAccuracy, MetricFormat.Percent, true, true),
        new("IFEval instruction strict", r => r.Eval?.Ifeval?.InstructionStrictAccuracy, MetricFormat.Percent, true, true),
        new("IFEval instruction loose", r => r.Eval?.Ifeval?.InstructionLooseAccuracy, MetricFormat.Percent, true, true),
        new("MC acc", r => r.Eval?.MultipleChoice?.Acc, MetricFormat.Percent, true, true),
        new("MC acc_norm", r => r.Eval?.MultipleChoice?.AccNorm, MetricFormat.Percent, true, true),
    ];

    public static IEnumerable<RunMetric> All => Training.Concat(Evaluation);
}

public enum MetricFormat { Count, Loss, Percent, Plain }

using System.Globalization;
using Sift.Eval;

namespace Sift.Reports;

/// <summary>
/// The report in three lines (verdict.txt beside report.html, printed at the end of `sift demo`): the
/// best method, what beat what beyond noise, and how well each score found the labelled examples.
/// </summary>
public static class ReportVerdict
{
    public const string FileName = "verdict.txt";

    public static List<string> Lines(GapShareOutcome? gap, string? baseline, IReadOnlyList<(string Name, List<DetectionResult> Rows)> detections)
    {
        var lines = new List<string>();
        if (gap != null)
        {
            var (oracle, arms) = (gap.Oracle, gap.Arms);
            var best = arms.OrderByDescending(a => a.Difference).FirstOrDefault();
            lines.Add($"best method on {gap.Outcome}: {(best == null ? "none" : $"{best.Method}, {gap.Format(best.Difference)} vs {baseline}" + (double.IsNaN(best.Share) ? "" : $", {F(best.Share)} of the gap to {oracle.Method}"))}" +
                      $" ({oracle.Method}: {gap.Format(oracle.Difference)})");
            string Names(string verdict) =>
                string.Join(", ", arms.Prepend(oracle).Where(a => a.Verdict.StartsWith(verdict, StringComparison.Ordinal)).Select(a => a.Method)) is { Length: > 0 } s ? s : "none";
            lines.Add($"vs {baseline} beyond noise (95% paired bootstrap): better: {Names("better")}; worse: {Names("worse")}; inconclusive: {Names("inconclusive")}");
        }
        var scores = detections.SelectMany(d => d.Rows).Where(r => r.Column != "random").OrderByDescending(r => r.Auroc).ToList();
        if (scores.Count > 0)
            lines.Add("noise-detection AUROC (0.5 chance): " + string.Join(", ", scores.Select(r => $"{r.Column} {r.Auroc.ToString("F2", CultureInfo.InvariantCulture)}")));
        return lines;
    }

    private static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
}

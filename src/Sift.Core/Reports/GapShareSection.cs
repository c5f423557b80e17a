using System.Globalization;
using Sift.Eval;

namespace Sift.Reports;

/// <summary>One outcome's comparison: the oracle's and every other method's result, and how its numbers are written.</summary>
public sealed record GapShareOutcome(string Outcome, ReportTable Table, List<string> Verdicts, GapShareResult Oracle, List<GapShareResult> Arms, Func<double, string> Format);

/// <summary>The report's gap-share table: every method against the noisy baseline and the clean oracle, per paired outcome of `sift eval`.</summary>
public static class GapShareSection
{
    /// <summary>One table per outcome every method's runs have (exact match, response loss), or none when a method lacks per-example rows.</summary>
    public static List<GapShareOutcome> Build(List<SeedGroup> groups, string baseline, string oracle)
    {
        if (groups.All(g => g.Method != oracle))
            throw new SiftException($"--oracle {oracle}: no such method; the methods are {string.Join(", ", groups.Select(g => g.Method))}");
        var evaluated = groups.Where(g => g.Runs.All(r => r.Eval?.ExamplesPath != null)).ToList();
        if (evaluated.All(g => g.Method != baseline) || evaluated.All(g => g.Method != oracle)) return [];
        var tables = new List<GapShareOutcome>();
        foreach (var (field, label, higherIsBetter) in EvalExamples.Outcomes)
        {
            var arms = Outcomes(evaluated, field);
            if (arms == null) continue;
            var (o, results) = GapShare.Compute(arms, baseline, oracle, higherIsBetter);
            string Num(double v) => field == "match" ? (v * 100).ToString("F1", CultureInfo.InvariantCulture) : v.ToString("F4", CultureInfo.InvariantCulture);
            string Share(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F2", CultureInfo.InvariantCulture);
            var rows = new List<IReadOnlyList<string>>();
            var verdicts = new List<string>();
            var points = field == "match" ? " points" : "";
            foreach (var r in results.Prepend(o))
            {
                rows.Add([r.Method, Num(r.Mean), $"{Signed(Num, r.Difference)} [{Signed(Num, r.DifferenceInterval.Low)}, {Signed(Num, r.DifferenceInterval.High)}]",
                    r == o ? "1 (by definition)" : $"{Share(r.Share)} [{Share(r.ShareInterval.Low)}, {Share(r.ShareInterval.High)}]", r.Verdict]);
                verdicts.Add($"{r.Method} vs {baseline} on {label}: {r.Verdict}, {Signed(Num, r.Difference)}{points} [{Signed(Num, r.DifferenceInterval.Low)}, {Signed(Num, r.DifferenceInterval.High)}]" +
                             (r != o && !double.IsNaN(r.Share) ? $"; {Share(r.Share)} of the gap to {oracle}" : ""));
            }
            var unit = field == "match" ? " (%)" : "";
            tables.Add(new GapShareOutcome(label, new ReportTable(["method", label + unit, $"vs {baseline}{unit} [95% CI]", $"share of {oracle}'s gap [95% CI]", "verdict"], rows),
                verdicts, o, results, v => Signed(Num, v) + points));
        }
        return tables;
    }

    private static string Signed(Func<double, string> format, double v) => double.IsNaN(v) ? "n/a" : (v > 0 ? "+" : "") + format(v);

    /// <summary>Each method's per-seed outcome arrays in one shared example order, or null when some run lacks the field.</summary>
    private static List<ArmOutcomes>? Outcomes(List<SeedGroup> groups, string field)
    {
        List<string>? order = null;
        var arms = new List<ArmOutcomes>();
        foreach (var group in groups)
        {
            var seeds = new List<double[]>();
            foreach (var run in group.Runs)
            {
                var path = run.Eval!.ExamplesPath!;
                var values = EvalExamples.Read(path, field);
                if (values == null) return null;
                order ??= values.Keys.Order(StringComparer.Ordinal).ToList();
                if (values.Count != order.Count || order.Any(id => !values.ContainsKey(id)))
                    throw new SiftException($"{path}: evaluates other examples than {groups[0].Runs[0].Eval!.ExamplesPath}; evaluate every run on the same data to compare them");
                seeds.Add(order.Select(id => values[id]).ToArray());
            }
            arms.Add(new ArmOutcomes(group.Method, seeds));
        }
        return arms;
    }
}

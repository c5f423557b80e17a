using System.CommandLine;
using Sift.Reports;

namespace Sift.Cli.Commands;

/// <summary>`sift report`: one self-contained HTML page and a Markdown twin comparing training runs.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("RUN_DIR") { Description = "Training run folders (`sift train` outputs); runs named METHOD-seedK are grouped by METHOD", Arity = ArgumentArity.ZeroOrMore }.Input();
        var scores = new Option<string[]>("--scores") { Description = "Score tables (.parquet or .jsonl) to plot: histograms and the data map", AllowMultipleArgumentsPerToken = true }.Input();
        var evals = new Option<string[]>("--evals") { Description = "`sift eval` output folders (eval.json, auroc.jsonl); RUN/eval is read without being named", AllowMultipleArgumentsPerToken = true };
        var baseline = new Option<string?>("--baseline") { Description = "Method (or run) to judge every other method against: better or worse when the difference exceeds the spread across seeds, else inconclusive" };
        var oracle = new Option<string?>("--oracle") { Description = "With --baseline: the method trained on the clean data only; each method's share of the baseline-to-oracle gap, with paired bootstrap intervals over held-out examples and seeds" };
        var labels = new Option<string?>("--labels") { Description = "The scored data file with a true/false field per example (e.g. noisy): color the data maps by it" }.Input();
        var labelField = new Option<string>("--label-field") { Description = "The label field of --labels", DefaultValueFactory = _ => "noisy" };
        var output = new Option<string>("--out") { Description = "The HTML file to write; the Markdown tables go beside it (.md) with the PNGs", DefaultValueFactory = _ => "report.html" };
        var setup = new Option<string?>("--setup") { Description = "A paragraph saying what was run (model, data, noise, what was kept), shown under the title" };
        var title = new Option<string>("--title") { Description = "Title of the report", DefaultValueFactory = _ => "Sift report" };
        var command = new Command("report", "One self-contained HTML report (plots embedded) and report.md: comparison table of every run, seed groups with " +
                                            "better/worse/inconclusive against a baseline, the share of an oracle's gap each method recovers, loss curves, noise-detection AUROC, score histograms and the data map.")
        {
            runs, scores, evals, baseline, oracle, labels, labelField, output, title, setup,
        };
        command.SetJob((parse, _) =>
        {
            var (html, markdown) = RunReport.Write(new ReportInputs
            {
                Runs = parse.GetValue(runs) ?? [],
                ScoreTables = parse.GetValue(scores) ?? [],
                Evals = parse.GetValue(evals) ?? [],
                Baseline = parse.GetValue(baseline),
                Oracle = parse.GetValue(oracle),
                Labels = parse.GetValue(labels) is { } file ? (InputFiles.Require(file, "--labels"), parse.GetValue(labelField)!) : null,
                Title = parse.GetValue(title)!,
                Setup = parse.GetValue(setup),
            }, parse.GetValue(output)!);
            Console.WriteLine($"wrote {html}");
            Console.WriteLine($"wrote {markdown}");
            return 0;
        });
        return command;
    }
}

using System.Globalization;
using System.Text;
using Sift.Eval;
using Sift.IO;
using Sift.Scoring;

namespace Sift.Reports;

/// <summary>What `sift report` puts together.</summary>
public sealed record ReportInputs
{
    /// <summary>Training run folders (`sift train` outputs); a run named METHOD-seedK belongs to METHOD's seed group.</summary>
    public required IReadOnlyList<string> Runs { get; init; }
    public IReadOnlyList<string> ScoreTables { get; init; } = [];
    /// <summary>`sift eval` output folders (eval.json and/or auroc.jsonl); RUN/eval is read without being named.</summary>
    public IReadOnlyList<string> Evals { get; init; } = [];
    /// <summary>The method (or run) every other method is judged against.</summary>
    public string? Baseline { get; init; }
    /// <summary>The method trained on clean data only: each method's share of the baseline-to-oracle gap is reported (needs <see cref="Baseline"/>).</summary>
    public string? Oracle { get; init; }
    public string Title { get; init; } = "Sift report";
    /// <summary>What was run, in the words of whoever ran it (model, data, noise, what was kept), shown under the title.</summary>
    public string? Setup { get; init; }
    /// <summary>A data file with a true/false field per example (e.g. noisy): the score tables' data maps are colored by it.</summary>
    public (string Path, string Field)? Labels { get; init; }
}

/// <summary>
/// `sift report`: one self-contained HTML page (plots embedded) and the same tables as Markdown:
/// a summary of verdicts, the comparison of every run, seed groups with mean ± std and better / worse /
/// inconclusive against a baseline, each method's share of an oracle's gap, loss curves (SFTMix: the NTP and mixup terms and their gradient cosine), noise-detection
/// AUROC, and the score tables' histograms and data maps.
/// </summary>
public static class RunReport
{
    public static (string Html, string Markdown) Write(ReportInputs inputs, string htmlPath)
    {
        if (inputs.Runs.Count == 0 && inputs.Evals.Count == 0) throw new SiftException("nothing to report: give run folders (`sift train` outputs) and/or --evals folders");
        var runs = inputs.Runs.Select(RunHistory.Read).ToList();
        var sameName = runs.GroupBy(r => r.Name).FirstOrDefault(g => g.Count() > 1);
        if (sameName != null)
            throw new SiftException($"two runs are named '{sameName.Key}' ({string.Join(", ", sameName.Select(r => r.Dir))}); runs are told apart by folder name, so rename one");
        var detections = new List<(string Name, List<DetectionResult> Rows)>();
        foreach (var dir in inputs.Evals) AddEval(dir, runs, detections);

        var html = new HtmlReport(inputs.Title);
        var md = new StringBuilder($"# {inputs.Title}\n\n");
        var trained = runs.Where(r => r.Metrics.Count > 0).ToList();
        var intro = $"{trained.Count} training runs: {string.Join(", ", trained.Select(r => r.Name))}" +
                    (runs.Count > trained.Count ? $"; evaluated models besides: {string.Join(", ", runs.Except(trained).Select(r => r.Name))}" : "") +
                    $". Made by `sift report` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.";
        if (inputs.Setup is { Length: > 0 } setup)
        {
            html.Paragraph(setup);
            md.Append(setup).Append("\n\n");
        }
        html.Paragraph(intro);
        md.Append(intro).Append("\n\n");
        if (inputs.Oracle != null && inputs.Baseline == null) throw new SiftException("--oracle needs --baseline: the gap is the oracle's difference from the baseline");
        var groups = SeedGroups.Group(runs);
        var gaps = inputs.Oracle != null ? GapShareSection.Build(groups, inputs.Baseline!, inputs.Oracle) : [];
        if (gaps.Count > 0)
        {
            html.Heading("Summary").List(gaps[0].Verdicts).Paragraph($"On {gaps[0].Outcome} of each model's held-out answers; details under \"Share of the gap\".");
            md.Append("## Summary\n\n").Append(string.Concat(gaps[0].Verdicts.Select(v => $"- {v}\n"))).Append('\n');
        }

        var metrics = RunMetric.All.Where(m => runs.Any(r => m.Value(r) is not null)).ToList();
        var trainingColumns = RunMetric.Training.Where(metrics.Contains).ToList();
        if (trained.Count > 0)
        {
            var training = new ReportTable(["run", "objective", "train data", .. trainingColumns.Select(m => m.Label)],
                trained.Select(r => (IReadOnlyList<string>)[r.Name, r.Objective, r.TrainData ?? "", .. trainingColumns.Select(m => Cell(r, m))]).ToList());
            Section(html, md, "Training runs", training,
                (trainingColumns.Any(m => m.Label.EndsWith("(log)", StringComparison.Ordinal))
                    ? "(log): the last evaluation in the run's metrics.jsonl, on its held-out data (" + Names(trained.Select(r => r.EvalData)) + "). " : "") +
                "Train NTP loss: the next-token part of the objective, comparable across objectives.");
        }
        var evaluationColumns = RunMetric.Evaluation.Where(metrics.Contains).ToList();
        if (evaluationColumns.Count > 0)
        {
            var evaluation = new ReportTable(["model", .. evaluationColumns.Select(m => m.Label)],
                runs.Where(r => r.Eval != null).Select(r => (IReadOnlyList<string>)[r.Name, .. evaluationColumns.Select(m => Cell(r, m))]).ToList());
            Section(html, md, "Evaluation (sift eval)", evaluation, EvalNote(runs));
        }

        if (groups.Any(g => g.Runs.Count > 1))
        {
            var table = new ReportTable(["method", "seeds", .. metrics.Where(m => m.Judged).Select(m => m.FullLabel)],
                groups.Select(g => (IReadOnlyList<string>)[g.Method, g.Runs.Count.ToString(CultureInfo.InvariantCulture),
                    .. metrics.Where(m => m.Judged).Select(m => Stat(g, m) is { } s ? MeanStd(s, m) : "")]).ToList());
            Section(html, md, "Seed groups (mean ± sample std)", table, "Runs named METHOD-seedK form the group METHOD.");
        }
        if (inputs.Baseline != null) Verdicts(html, md, groups, metrics, inputs.Baseline);
        foreach (var gap in gaps)
            Section(html, md, $"Share of the gap to {inputs.Oracle} on {gap.Outcome}", gap.Table, GapShare.Rule);

        Curves(html, trained);
        foreach (var (name, rows) in detections)
        {
            bool within = rows.Any(r => !double.IsNaN(r.WithinAuroc));
            var table = new ReportTable(["score", "AUROC", .. within ? new[] { "AUROC within strata" } : [], "flags when", "positives", "negatives", "NaN left out"],
                rows.Select(r => (IReadOnlyList<string>)[r.Column, NoiseDetection.Format(r.Auroc), .. within ? new[] { NoiseDetection.Format(r.WithinAuroc) } : [],
                    r.Orientation > 0 ? "high" : "low",
                    r.Positives.ToString(CultureInfo.InvariantCulture), r.Negatives.ToString(CultureInfo.InvariantCulture), r.Excluded.ToString(CultureInfo.InvariantCulture)]).ToList());
            Section(html, md, $"Noise-detection AUROC ({name})", table,
                "Each score as a detector of the labelled examples, read in the direction its method defines (fixed before seeing labels): " +
                "0.5 is chance, 1 perfect, below 0.5 means the method ranks the labelled examples as its best." +
                (within ? " Within strata: over pairs of examples of the same task or source only." : ""));
        }
        var labels = inputs.Labels is { } l ? NoiseDetection.ReadLabels(l.Path, new Data.DatasetOptions(), l.Field) : null;
        int index = 0;
        foreach (var path in inputs.ScoreTables)
        {
            var plots = ScorePlots.Render(ScoreTableFiles.Read(path), path, labels, inputs.Labels?.Field ?? "");
            html.Heading($"Scores: {Path.GetFileName(path)}");
            index++;
            foreach (var (name, title, png) in plots) html.Image($"scores{index}_{name}", png, $"{Path.GetFileName(path)}: {title}");
        }

        html.Save(htmlPath);
        var mdPath = Path.ChangeExtension(htmlPath, ".md");
        AtomicFile.WriteAllText(mdPath, md.ToString());
        var verdict = ReportVerdict.Lines(gaps.FirstOrDefault(), inputs.Baseline, detections);
        AtomicFile.WriteAllText(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(htmlPath))!, ReportVerdict.FileName), string.Concat(verdict.Select(l => l + "\n")));
        return (Path.GetFullPath(htmlPath), Path.GetFullPath(mdPath));
    }

    private static string Cell(RunHistory run, RunMetric metric) => metric.Value(run) is { } v ? metric.Write(v) : "";

    private static string Names(IEnumerable<string?> paths) =>
        string.Join(", ", paths.OfType<string>().Select(Path.GetFileName).Distinct()) is { Length: > 0 } names ? names : "none";

    /// <summary>Says what the evaluation columns were computed on.</summary>
    private static string EvalNote(List<RunHistory> runs)
    {
        var evals = runs.Select(r => r.Eval).OfType<EvalSummary>().ToList();
        var note = $"`sift eval` of each model: response loss, perplexity and token accuracy on {Names(evals.Select(e => e.Data))}";
        if (evals.Select(e => e.Generation?.Matcher).OfType<string>().Distinct().ToList() is { Count: > 0 } matchers)
            note += $"; exact match of greedy answers ({string.Join(", ", matchers)} matcher)";
        if (evals.Any(e => e.Generation?.Gsm8k != null))
            note += "; GSM8K strict / flexible: lm-evaluation-harness's strict-match and flexible-extract readings of the same answers";
        if (evals.Any(e => e.Ifeval != null))
            note += $"; IFEval strict and loose accuracy on {Names(evals.Select(e => e.Ifeval?.File))}, prompts with unsupported instructions left out " +
                    $"({string.Join(", ", evals.Select(e => e.Ifeval?.PromptsWithUnsupported).OfType<int>().Distinct())})";
        if (evals.Select(e => e.MultipleChoice).OfType<MultipleChoiceSummary>().ToList() is { Count: > 0 } mc)
            note += $"; multiple-choice log-likelihood acc and acc_norm (length-normalized) on {Names(mc.Select(m => m.File))} " +
                    $"({string.Join(", ", mc.Select(m => m.Prompt + (m.ChatTemplate ? " prompt, chat template" : " prompt")).Distinct())})";
        return note + ".";
    }

    /// <summary>Attaches an eval folder to the run whose model it evaluated, or adds it as a row of its own.</summary>
    private static void AddEval(string dir, List<RunHistory> runs, List<(string, List<DetectionResult>)> detections)
    {
        if (!Directory.Exists(dir)) throw new SiftException($"{dir}: eval folder not found");
        var name = Pipeline.StageRunner.StageNameOf(Path.GetFileName(Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar)));
        var evalPath = Path.Combine(dir, EvalSummary.FileName);
        var aurocPath = Path.Combine(dir, NoiseDetection.FileName);
        if (!File.Exists(evalPath) && !File.Exists(aurocPath))
            throw new SiftException($"{dir}: holds neither {EvalSummary.FileName} (`sift eval --out`) nor {NoiseDetection.FileName} (`sift eval auroc --out`)");
        if (File.Exists(aurocPath)) detections.Add((name, NoiseDetection.Read(aurocPath)));
        if (!File.Exists(evalPath)) return;
        var eval = EvalSummary.Read(evalPath);
        int owner = runs.FindIndex(r => eval.Model == r.Dir || eval.Model.StartsWith(r.Dir + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        if (owner >= 0) runs[owner] = runs[owner].WithEval(eval);
        else if (runs.Any(r => r.Name == name)) throw new SiftException($"{dir}: evaluates {eval.Model}, not the run named '{name}'; rename the eval folder");
        else runs.Add(RunHistory.EvalOnly(name, eval));
    }

    private static SeedStat? Stat(SeedGroup group, RunMetric metric)
    {
        var values = group.Runs.Select(metric.Value).OfType<double>().ToList();
        return values.Count == 0 ? null : SeedStat.Of(values);
    }

    private static string MeanStd(SeedStat s, RunMetric m) => double.IsNaN(s.Std) ? $"{m.Write(s.Mean)} (1 seed)" : $"{m.Write(s.Mean)} ± {m.Write(s.Std)}";

    private static void Verdicts(HtmlReport html, StringBuilder md, List<SeedGroup> groups, List<RunMetric> metrics, string baselineName)
    {
        var baseline = groups.FirstOrDefault(g => g.Method == baselineName)
                       ?? throw new SiftException($"--baseline {baselineName}: no such method; the methods are {string.Join(", ", groups.Select(g => g.Method))}");
        var sentences = new List<string>();
        foreach (var group in groups.Where(g => g != baseline))
            foreach (var metric in metrics.Where(m => m.Judged))
                if (Stat(group, metric) is { } m && Stat(baseline, metric) is { } b)
                    sentences.Add(new SeedVerdict(group.Method, baseline.Method, metric.FullLabel, m, b, metric.HigherIsBetter).Sentence(metric.Write));
        if (sentences.Count == 0) sentences.Add($"No method shares an evaluation metric with the baseline {baseline.Method}, so nothing can be compared.");
        html.Heading($"Against the baseline {baseline.Method}").Paragraph(SeedVerdict.Rule).List(sentences);
        md.Append($"## Against the baseline {baseline.Method}\n\n{SeedVerdict.Rule}\n\n");
        foreach (var s in sentences) md.Append("- ").Append(s).Append('\n');
        md.Append('\n');
    }

    private static void Curves(HtmlReport html, List<RunHistory> trained)
    {
        if (trained.Count == 0) return;
        html.Heading("Training curves");
        // One colour per method, one line style per seed of it.
        var groups = SeedGroups.Group(trained);
        (string Group, int Variant) StyleOf(RunHistory run)
        {
            var group = groups.First(g => g.Runs.Contains(run));
            return (group.Method, group.Runs.ToList().IndexOf(run));
        }
        void Plot(string name, string title, string y, string caption, IEnumerable<(RunHistory Run, string Metric, string Label, string Term)> lines, bool fromZero)
        {
            var series = lines.Where(l => l.Run.Metrics.ContainsKey(l.Metric))
                .Select(l => l.Run.Metrics[l.Metric] with { Name = l.Label, Group = StyleOf(l.Run).Group + l.Term, Variant = StyleOf(l.Run).Variant }).ToList();
            if (series.Count > 0) html.Image(name, Charts.Lines(title, "step", y, series, fromZero), caption);
        }
        Plot("train_loss", "Training loss (next-token part)", "loss", "The next-token loss of each logged step; for SFTMix without its mixup term, which is shown below. One colour per method, one line style per seed.",
            trained.Select(r => (r, r.Metrics.ContainsKey("ntp_loss") ? "ntp_loss" : "loss", r.Name, "")), fromZero: true);
        Plot("eval_loss", "Held-out loss during training", "eval loss", "The training run's own evaluations (eval_loss in metrics.jsonl).",
            trained.Select(r => (r, "eval_loss", r.Name, "")), fromZero: true);
        var mixed = trained.Where(r => r.Metrics.ContainsKey("mixup_loss")).ToList();
        Plot("sftmix_terms", "SFTMix: NTP and mixup loss terms", "loss", "The two terms of the SFTMix objective, NTP + μ·mixup, before weighting.",
            mixed.SelectMany(r => new[] { (r, "ntp_loss", $"{r.Name} NTP", " NTP"), (r, "mixup_loss", $"{r.Name} mixup", " mixup") }), fromZero: true);
        Plot("sftmix_grad_cosine", "SFTMix: cosine of the NTP and mixup gradients", "cosine",
            "Cosine between the gradients of the two terms at the diagnostic steps: near 0 the mixup term pushes in a direction of its own, near 1 it repeats NTP.",
            mixed.Select(r => (r, "grad_cosine", r.Name, "")), fromZero: false);
    }

    private static void Section(HtmlReport html, StringBuilder md, string heading, ReportTable table, string note)
    {
        html.Heading(heading).Table(table.Header, table.Rows).Paragraph(note);
        md.Append($"## {heading}\n\n").Append(table.ToMarkdown()).Append('\n').Append(note).Append("\n\n");
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sift.Config;
using Sift.Eval;
using Sift.Reports;
using Sift.Scoring;
using Sift.Training.Recipes;

namespace Sift.Tests.Reports;

public class RunReportTests
{
    /// <summary>A run folder as `sift train` leaves it: metrics.jsonl (train lines each step, eval lines at the middle and the end), the recipe, the data summary.</summary>
    private static string Run(string root, string name, string objective, double finalEvalLoss, double finalAccuracy, int examples = 120)
    {
        var dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        var lines = new List<string>();
        for (int step = 1; step <= 10; step++)
        {
            var line = new JsonObject { ["step"] = step, ["loss"] = 3.0 - 0.1 * step, ["learning_rate"] = 1e-3, ["grad_norm"] = 1.0, ["epoch"] = step / 10.0 };
            if (objective == "sftmix")
            {
                line["ntp_loss"] = 2.9 - 0.1 * step;
                line["mixup_loss"] = 0.5 - 0.01 * step;
                if (step % 2 == 0) line["grad_cosine"] = 0.1 * step / 10;
            }
            lines.Add(line.ToJsonString());
            if (step is 5 or 10)
                lines.Add(new JsonObject
                {
                    ["step"] = step, ["eval_loss"] = step == 10 ? finalEvalLoss : 3.0, ["eval_perplexity"] = Math.Exp(step == 10 ? finalEvalLoss : 3.0),
                    ["eval_token_accuracy"] = step == 10 ? finalAccuracy : 0.2,
                }.ToJsonString());
        }
        File.WriteAllLines(Path.Combine(dir, "metrics.jsonl"), lines);
        var recipe = ConfigTree.Empty();
        TrainRecipe.ApplyCommandLine(recipe, pretrain: false, "/m", objective == "sftmix" ? null : "/d.jsonl", dir,
            objective == "sftmix" ? ["objective.name=sftmix", "objective.confident=/c.jsonl", "objective.unconfident=/u.jsonl"] : [$"objective.name={objective}"]);
        File.WriteAllText(Path.Combine(dir, "sift_recipe.yaml"), TrainRecipe.Bind(recipe, pretrain: false).ToYaml());
        File.WriteAllText(Path.Combine(dir, "training_data.json"), $"{{\"train_examples\": {examples}, \"train_tokens\": 5000, \"eval_examples\": 20}}");
        return dir;
    }

    [Fact]
    public void OneSelfContainedPageWithEveryRunPlotsSeedVerdictsAndAMarkdownTwin()
    {
        var root = Paths.NewTempDir();
        var runs = new List<string>();
        double[] ntpLoss = [2.5, 2.4, 2.6], mixLoss = [2.0, 2.1, 2.2], ntpAcc = [0.30, 0.31, 0.32], mixAcc = [0.305, 0.315, 0.30];
        for (int k = 0; k < 3; k++) runs.Add(Run(root, $"ntp-seed{k + 1}", "ntp", ntpLoss[k], ntpAcc[k]));
        for (int k = 0; k < 3; k++) runs.Add(Run(root, $"sftmix-seed{k + 1}", "sftmix", mixLoss[k], mixAcc[k]));

        // `sift eval` of the first run's model (found by its model path), of a base model (a row of its own), and an AUROC table.
        new EvalSummary { Model = Path.Combine(runs[0], "model"), EvalLoss = 2.45, Generation = new GenerationSummary { Matcher = "gsm8k", Examples = 8, Matched = 2, ExactMatch = 0.25 } }
            .Write(Directory.CreateDirectory(Path.Combine(root, "eval-ntp1")).FullName);
        new EvalSummary { Model = "/models/base", EvalLoss = 3.3 }.Write(Directory.CreateDirectory(Path.Combine(root, "base")).FullName);
        var aurocDir = Directory.CreateDirectory(Path.Combine(root, "noise-0123456789ab")).FullName;
        NoiseDetection.Write(Path.Combine(aurocDir, NoiseDetection.FileName), [new DetectionResult("sftmix_confidence", 0.8125, -1, 4, 12, 0)]);

        // A dynamics score table: histograms of confidence, variability, correctness and the data map.
        var scores = Path.Combine(root, "dynamics");
        ScoreTableFiles.WriteBoth(new ScoreTable([
            new ScoreColumn("id", new[] { "a", "b", "c", "d" }), new ScoreColumn("confidence", new[] { 0.9, 0.2, 0.5, 0.7 }),
            new ScoreColumn("variability", new[] { 0.05, 0.1, 0.3, 0.2 }), new ScoreColumn("correctness", new[] { 2.0, 0.0, 1.0, 2.0 }),
            new ScoreColumn("epochs", new[] { 2L, 2L, 2L, 2L }),
        ]), scores);

        var html = Path.Combine(root, "out", "report.html");
        var (code, stdout, err) = CliRunner.Run(["report", .. runs, "--evals", Path.Combine(root, "eval-ntp1"), Path.Combine(root, "base"), aurocDir,
            "--scores", scores + ".parquet", "--baseline", "ntp", "--title", "Two methods", "--out", html]);
        Assert.True(code == 0, err);
        Assert.Contains($"wrote {html}", stdout);

        var page = File.ReadAllText(html);
        foreach (var name in new[] { "ntp-seed1", "ntp-seed2", "ntp-seed3", "sftmix-seed1", "sftmix-seed2", "sftmix-seed3", "base" })
            Assert.Contains($"<tr><td>{name}</td>", page);
        // Curves: train loss, eval loss, the SFTMix terms, the gradient cosine; scores: 3 histograms and the data map.
        var images = Regex.Matches(page, "<img alt=\"[^\"]*\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">");
        Assert.Equal(8, images.Count);
        Assert.All(images, m => Assert.Equal("PNG"u8.ToArray(), Convert.FromBase64String(m.Groups[1].Value)[1..4]));
        Assert.DoesNotContain("src=\"http", page);
        Assert.Contains("<td>sftmix_confidence</td><td>0.8125</td><td class=\"text\">low</td>", page);

        var md = File.ReadAllText(Path.Combine(root, "out", "report.md"));
        Assert.Contains("| run | objective | train data | train examples | steps | final train NTP loss | eval loss (log) | eval ppl (log) | eval token acc (log) |", md);
        Assert.Contains("| ntp-seed1 | ntp | d.jsonl | 120 | 10 | 2.0000 | 2.5000 | 12.182 | 30.0% |", md);
        Assert.Contains("| sftmix-seed1 | sftmix | c.jsonl + u.jsonl | 120 | 10 | 1.9000 | 2.0000 | 7.389 | 30.5% |", md);
        Assert.Contains("| model | loss | exact match |", md);
        Assert.Contains("| ntp-seed1 | 2.4500 | 25.0% |", md);
        Assert.Contains("| base | 3.3000 |  |", md);
        Assert.Contains("| method | seeds | eval loss (log) | eval token acc (log) | sift eval loss | exact match |", md);
        Assert.Contains("| sftmix | 3 | 2.1000 ± 0.1000 | 30.7% ± 0.8% |  |  |", md);
        Assert.Contains("- sftmix vs ntp on eval loss (log): 2.1000 ± 0.1000 vs 2.5000 ± 0.1000 (3 vs 3 seeds); better by 0.4000, more than the spread 0.2000: better.", md);
        Assert.Contains("- sftmix vs ntp on eval token acc (log): 30.7% ± 0.8% vs 31.0% ± 1.0% (3 vs 3 seeds); worse by 0.3%, within the spread 1.8%: inconclusive.", md);
        Assert.Contains("| sftmix_confidence | 0.8125 | low | 4 | 12 | 0 |", md);
        // A pipeline stage's folder hash stays out of the heading.
        Assert.Contains("## Noise-detection AUROC (noise)\n", md);
    }

    [Fact]
    public void BadInputNamesTheFolderOrTheChoices()
    {
        var root = Paths.NewTempDir();
        var a = Run(root, "ntp-seed1", "ntp", 2.5, 0.3);
        var (code, _, err) = CliRunner.Run("report", a, "--baseline", "sftmix", "--out", Path.Combine(root, "r.html"));
        Assert.Equal(1, code);
        Assert.Equal("error: --baseline sftmix: no such method; the methods are ntp", err.Trim());

        var empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        (code, _, err) = CliRunner.Run("report", a, empty, "--out", Path.Combine(root, "r.html"));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {empty}: no metrics.jsonl; give the output folder of `sift train`", err);

        var twin = Run(Path.Combine(root, "other"), "ntp-seed1", "ntp", 2.5, 0.3);
        (code, _, err) = CliRunner.Run("report", a, twin, "--out", Path.Combine(root, "r.html"));
        Assert.Equal(1, code);
        Assert.Contains("two runs are named 'ntp-seed1'", err);
        Assert.False(File.Exists(Path.Combine(root, "r.html")));
    }

    [Fact]
    public void ReportsRealTrainingRunsAndTheirEvaluation()
    {
        var dir = Paths.NewTempDir();
        var (model, data) = Training.TrainCliTests.Fixture();
        var runs = new[] { "ntp", "neftune" }.Select(objective =>
        {
            var output = Path.Combine(dir, objective);
            var (code, _, err) = CliRunner.Run("train", "--model", model, "--data", data, "--output-dir", output, "--set", "schedule.max_steps=3",
                "--set", "schedule.per_device_train_batch_size=4", "--set", "data.eval_fraction=0.25", "--set", $"objective.name={objective}");
            Assert.True(code == 0, err);
            return output;
        }).ToArray();
        var (evalCode, _, evalErr) = CliRunner.Run("eval", "--model", Path.Combine(runs[0], "model"), "--data", data, "--max-length", "64");
        Assert.True(evalCode == 0, evalErr);
        Assert.True(File.Exists(Path.Combine(runs[0], "eval", "eval.json")), "the default output of a run's model is RUN/eval");

        var html = Path.Combine(dir, "report.html");
        var (code, _, err) = CliRunner.Run("report", runs[0], runs[1], "--out", html);
        Assert.True(code == 0, err);
        var md = File.ReadAllText(Path.ChangeExtension(html, ".md"));
        var trainExamples = File.ReadAllText(Path.Combine(runs[0], "training_data.json"));
        Assert.Matches(@"\| ntp \| ntp \| data.jsonl \| \d+ \| 3 \| \d\.\d{4} \| \d\.\d{4} \| [\d.]+ \| [\d.]+% \|", md);
        Assert.Matches(@"\| neftune \| neftune \| data.jsonl \| \d+ \| 3 \| \d\.\d{4} \| \d\.\d{4} \| [\d.]+ \| [\d.]+% \|", md);
        Assert.Matches(@"\| ntp \| \d\.\d{4} \| [\d.]+ \| [\d.]+% \|", md);
        Assert.DoesNotMatch(@"\| neftune \| \d\.\d{4} \| [\d.]+ \| [\d.]+% \|", md);
        Assert.Contains("\"train_examples\"", trainExamples);
        Assert.Equal(2, Regex.Matches(File.ReadAllText(html), "data:image/png;base64,").Count);
    }
}

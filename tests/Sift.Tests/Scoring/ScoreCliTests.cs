using System.Text.Json;
using Sift.Models;
using Sift.Scoring;
using Sift.Text;
using Sift.Training;

namespace Sift.Tests.Scoring;

public class ScoreCliTests
{
    private static ScoreTable Table(string stem) => ScoreTableFiles.Read(stem + ".parquet");

    /// <summary>
    /// The CLI scores in batches, the checks below score each example alone: the same fp32 sums in
    /// another order, Tolerances.Fp32Forward for the longest example (~2e-4 per unit of NLL). Scoring the
    /// wrong tokens or a wrong pass moves a loss by O(0.1) or more.
    /// </summary>
    private static double Forward(CausalLM model, IEnumerable<Sift.Data.TokenizedExample> examples) =>
        Tolerances.Fp32Forward(model.Config, examples.Max(e => e.Length));

    [Fact]
    public void PerplexityRowsEqualIndependentPerTokenLosses()
    {
        var ws = new ScoringWorkspace();
        var (code, stdout, stderr) = ScoringWorkspace.Sift(["score", "perplexity", "--model", ws.Model, .. ws.Common("ppl")]);
        Assert.True(code == 0, stderr);
        Assert.Contains("excluded 1 examples", stdout);
        Assert.Contains($"{ScoringWorkspace.TooLongId}: no response tokens", stdout);
        var table = Table(ws.Out("ppl"));
        Assert.Equal(ws.Count - 1, table.RowCount);
        Assert.DoesNotContain(ScoringWorkspace.TooLongId, table.Ids);
        Assert.Equal(Enumerable.Range(0, ws.Count).Where(i => i != 4).Select(i => (double)i), table.Numbers("index", "t"));
        var meta = ScoreMeta.Read(ws.Out("ppl") + ".meta.json");
        Assert.Equal(ScoringWorkspace.TooLongId, Assert.Single(meta.Excluded).Id);

        using var model = ModelFolder.Load(ws.Model);
        var examples = ws.Tokenized(ws.Model);
        double forward = Forward(model, examples.Values);
        for (int r = 0; r < table.RowCount; r++)
        {
            var (nll, hit) = ScoringFixtures.TokenLosses(model, examples[table.Ids[r]]);
            double loss = Tolerances.NllMean(nll, forward);
            Assert.Equal(nll.Length, table.Numbers("n_tokens", "t")[r]);
            Assert.Equal(nll.Sum(), table.Numbers("nll_sum", "t")[r], Tolerances.NllSum(nll, forward));
            Assert.Equal(nll.Average(), table.Numbers("loss", "t")[r], loss);
            Assert.Equal(Math.Exp(nll.Average()), table.Numbers("perplexity", "t")[r], Math.Exp(nll.Average()) * 2 * loss);
            Assert.Equal((double)hit.Count(h => h) / hit.Length, table.Numbers("accuracy", "t")[r]); // same integer ratio
            Assert.Equal(Path.GetFullPath(ws.Model), table.Texts("model", "t")[r]);
        }
        var jsonl = ScoreTableFiles.Read(ws.Out("ppl") + ".jsonl");
        Assert.Equal(table.Numbers("nll_sum", "t"), jsonl.Numbers("nll_sum", "t"));
    }

    [Fact]
    public void IfdDirectPassScoresTheSameResponseTokensAfterTheMinimalPrefix()
    {
        var ws = new ScoringWorkspace();
        var (code, _, stderr) = ScoringWorkspace.Sift(["score", "ifd", "--model", ws.Model, .. ws.Common("ifd")]);
        Assert.True(code == 0, stderr);
        var table = Table(ws.Out("ifd"));
        using var model = ModelFolder.Load(ws.Model);
        var tokenizer = ModelTokenizer.Load(ws.Model);
        var prefix = tokenizer.Encode("### Response:", addBos: true);
        Assert.Equal(1, prefix[0]);
        double forward = Forward(model, ws.Tokenized(ws.Model).Values);
        foreach (var (id, example) in ws.Tokenized(ws.Model))
        {
            int r = Array.IndexOf(table.Ids, id);
            var response = example.Tokens.Where((_, p) => example.Trained[p]).ToArray();
            var direct = new Sift.Data.TokenizedExample(id, [.. prefix, .. response],
                [.. prefix.Select(_ => false), .. response.Select(_ => true)]);
            var (condNll, _) = ScoringFixtures.TokenLosses(model, example);
            var (directNll, _) = ScoringFixtures.TokenLosses(model, direct);
            Assert.Equal(condNll.Length, directNll.Length);
            // First-order propagation of the two losses' bounds (×1.01 for the linearisation).
            double c = condNll.Average(), d = directNll.Average(), tc = Tolerances.NllMean(condNll, forward), td = Tolerances.NllMean(directNll, forward);
            Assert.Equal(directNll.Sum(), table.Numbers("direct_nll_sum", "t")[r], Tolerances.NllSum(directNll, forward));
            Assert.Equal(c / d, table.Numbers("ifd_loss_ratio", "t")[r], c / d * (tc / c + td / d) * 1.01);
            Assert.Equal(Math.Exp(c - d), table.Numbers("ifd_ppl_ratio", "t")[r], Math.Exp(c - d) * (tc + td) * 1.01);
        }
    }

    [Fact]
    public void ShardedRunsMergeToExactlyTheUnshardedTable()
    {
        var ws = new ScoringWorkspace();
        var reference = ws.SaveModel("ref", seed: 2);
        string[] Args(string name, params string[] extra) => ["score", "learnability", "--base", ws.Model, "--ref", reference, .. ws.Common(name, extra)];
        Assert.Equal(0, ScoringWorkspace.Sift(Args("whole")).Code);
        for (int i = 0; i < 2; i++) Assert.Equal(0, ScoringWorkspace.Sift(Args("sharded", "--shard", $"{i}/3")).Code);

        var (code, _, stderr) = ScoringWorkspace.Sift("score", "merge", "--out", ws.Out("sharded"));
        Assert.Equal(1, code);
        Assert.Contains("shards 2/3", stderr);

        Assert.Equal(0, ScoringWorkspace.Sift(Args("sharded", "--shard", "2/3")).Code);
        var shardSizes = Enumerable.Range(0, 3).Select(i => Table(ws.Out($"sharded.shard-{i}-of-3")).RowCount).ToArray();
        Assert.Equal(ws.Count - 1, shardSizes.Sum());
        (code, _, stderr) = ScoringWorkspace.Sift("score", "merge", "--out", ws.Out("sharded"));
        Assert.True(code == 0, stderr);

        var whole = Table(ws.Out("whole"));
        var merged = Table(ws.Out("sharded"));
        Assert.Equal(whole.Columns.Select(c => c.Name), merged.Columns.Select(c => c.Name));
        foreach (var c in whole.Columns) Assert.Equal(c.Values, merged.Column(c.Name, "merged").Values);
        Assert.Equal(File.ReadAllBytes(ws.Out("whole") + ".jsonl"), File.ReadAllBytes(ws.Out("sharded") + ".jsonl"));
        Assert.Equal(ScoringWorkspace.TooLongId, Assert.Single(ScoreMeta.Read(ws.Out("sharded") + ".meta.json").Excluded).Id);
    }

    [Fact]
    public void MergeNamesMissingAndDuplicateIds()
    {
        var ws = new ScoringWorkspace();
        for (int i = 0; i < 2; i++) Assert.Equal(0, ScoringWorkspace.Sift(["score", "perplexity", "--model", ws.Model, .. ws.Common("s", "--shard", $"{i}/2")]).Code);
        var metaPath = ws.Out("s.shard-1-of-2") + ".meta.json";
        var original = File.ReadAllText(metaPath);

        var meta = ScoreMeta.Read(metaPath);
        (meta with { AssignedIds = [.. meta.AssignedIds!, "ghost"] }).Write(metaPath);
        var (code, _, stderr) = ScoringWorkspace.Sift("score", "merge", "--out", ws.Out("s"));
        Assert.Equal(1, code);
        Assert.Contains("'ghost'", stderr);

        File.WriteAllText(metaPath, original);
        meta = ScoreMeta.Read(metaPath);
        (meta with { Excluded = [.. meta.Excluded, new ExcludedExample(Table(ws.Out("s.shard-0-of-2")).Ids[0], "test")] }).Write(metaPath);
        (code, _, stderr) = ScoringWorkspace.Sift("score", "merge", "--out", ws.Out("s"));
        Assert.Equal(1, code);
        Assert.Contains("more than one shard", stderr);
        Assert.Contains("shards 0 and 1", stderr);
    }

    [Fact]
    public void AKilledRunResumesWithoutRecomputingFinishedRows()
    {
        var ws = new ScoringWorkspace();
        string[] args = ["score", "perplexity", "--model", ws.Model, .. ws.Common("ppl")];
        Assert.Equal(0, ScoringWorkspace.Sift(args).Code);
        var stem = ws.Out("ppl");
        var first = Table(stem);
        var written = ScoreMeta.Read(stem + ".meta.json");
        foreach (var ext in new[] { ".parquet", ".jsonl", ".meta.json" }) File.Delete(stem + ext);

        // What a run killed after its first batches leaves behind: finished rows, then a torn line.
        var n = first.Numbers("n_tokens", "t");
        var acc = first.Numbers("accuracy", "t");
        var lines = new List<string> { JsonSerializer.Serialize(new { sift_partial = 1, fingerprint = written.Fingerprint + "|", models = written.Models, model_weights = written.ModelWeights }) };
        for (int r = 0; r < 3; r++)
            lines.Add(JsonSerializer.Serialize(new { pass = "model", id = first.Ids[r], n_tokens = (int)n[r], nll_sum = r == 0 ? 1234.5 : first.Numbers("nll_sum", "t")[r], correct = (int)Math.Round(acc[r] * n[r]) }));
        File.WriteAllText(ScoreJob.PartialPath(stem), string.Join("\n", lines) + "\n{\"pass\":\"model\",\"id\":\"q");

        var (code, stdout, stderr) = ScoringWorkspace.Sift(args);
        Assert.True(code == 0, stderr);
        Assert.Contains("resumed: 3 rows", stdout);
        Assert.False(File.Exists(ScoreJob.PartialPath(stem)));
        var resumed = Table(stem);
        Assert.Equal(1234.5, resumed.Numbers("nll_sum", "t")[0]);
        Assert.Equal(first.Numbers("nll_sum", "t")[1..], resumed.Numbers("nll_sum", "t")[1..]);

        (code, stdout, _) = ScoringWorkspace.Sift(args);
        Assert.Equal(0, code);
        Assert.Contains("already scored", stdout);
    }

    [Fact]
    public void ConfidenceFromARunsCheckpointsMatchesPerCheckpointLosses()
    {
        var ws = new ScoringWorkspace();
        var run = Path.Combine(ws.Dir, "run");
        var names = new[] { "checkpoints/checkpoint-2", "checkpoints/checkpoint-4", "checkpoints/checkpoint-6" };
        for (int c = 0; c < names.Length; c++) ws.SaveModel(Path.Combine("run", names[c]), seed: 10 + c);
        File.WriteAllText(Path.Combine(run, RunFiles.ConfidenceList.Name), JsonSerializer.Serialize(new { checkpoints = names }));
        ws.WriteRunRecipe(run);
        var (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--run", run, .. ws.Common("conf")]);
        Assert.True(code == 0, stderr);
        var table = Table(ws.Out("conf"));

        double forward = 0;
        var perCheckpoint = names.Select(n =>
        {
            using var model = ModelFolder.Load(Path.Combine(run, n));
            forward = Forward(model, ws.Tokenized(ws.Model).Values);
            return ws.Tokenized(ws.Model).ToDictionary(kv => kv.Key, kv => ScoringFixtures.TokenLosses(model, kv.Value));
        }).ToList();
        for (int r = 0; r < table.RowCount; r++)
        {
            var losses = perCheckpoint.Select(c => c[table.Ids[r]].Nll.Average()).ToArray();
            var accuracies = perCheckpoint.Select(c => (double)c[table.Ids[r]].Hit.Count(h => h) / c[table.Ids[r]].Hit.Length).ToArray();
            var p = losses.Select(l => Math.Exp(-l)).ToArray();
            // Each loss is within tl of the CLI's; exp(−l) ≤ 1 moves by at most tl, exp(l) by exp(l)·tl (×1.01 for
            // the linearisation); mean and population std are 1-Lipschitz in the max-norm, so they keep the bound.
            var tl = perCheckpoint.Select(c => Tolerances.NllMean(c[table.Ids[r]].Nll, forward)).Max() * 1.01;
            Assert.Equal(-losses.Average(Math.Exp), table.Numbers("sftmix_confidence", "t")[r], losses.Max(Math.Exp) * tl);
            Assert.Equal(p.Average(), table.Numbers("confidence", "t")[r], tl);
            Assert.Equal(Math.Sqrt(p.Average(x => (x - p.Average()) * (x - p.Average()))), table.Numbers("variability", "t")[r], tl);
            Assert.Equal(accuracies.Sum(), table.Numbers("correctness", "t")[r], 3 * Tolerances.Fp64 * 3); // three ratios of integers, added
            Assert.Equal(3, table.Numbers("epochs", "t")[r]);
            Assert.Equal(losses[1], table.Numbers("loss_2", "t")[r], tl);
        }
    }

    [Fact]
    public void CheckpointsOfADifferentModelAreRefused()
    {
        var ws = new ScoringWorkspace();
        var other = ws.SaveModel("wide", seed: 3, hidden: 64);
        var (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--checkpoints", ws.Model, other, .. ws.Common("c")]);
        Assert.Equal(1, code);
        Assert.Contains("different model", stderr);
        Assert.Contains("hidden_size 32 vs 64", stderr);
        (code, _, stderr) = ScoringWorkspace.Sift(["score", "learnability", "--base", ws.Model, "--ref", other, .. ws.Common("l")]);
        Assert.Equal(1, code);
        Assert.Contains("hidden_size", stderr);
        (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--run", ws.Dir, .. ws.Common("c")]);
        Assert.Equal(1, code);
        Assert.Contains("confidence_checkpoints.json", stderr);
    }

    [Fact]
    public void LearnabilityEqualsOneMinusTheLossRatio()
    {
        var ws = new ScoringWorkspace();
        var reference = ws.SaveModel("ref", seed: 5);
        Assert.Equal(0, ScoringWorkspace.Sift(["score", "learnability", "--base", ws.Model, "--ref", reference, .. ws.Common("lb")]).Code);
        var table = Table(ws.Out("lb"));
        using var baseModel = ModelFolder.Load(ws.Model);
        using var refModel = ModelFolder.Load(reference);
        var examples = ws.Tokenized(ws.Model);
        double forward = Forward(baseModel, examples.Values);
        for (int r = 0; r < table.RowCount; r++)
        {
            var nb = ScoringFixtures.TokenLosses(baseModel, examples[table.Ids[r]]).Nll;
            var nr = ScoringFixtures.TokenLosses(refModel, examples[table.Ids[r]]).Nll;
            double lb = nb.Average(), lr = nr.Average(), tb = Tolerances.NllMean(nb, forward), tr = Tolerances.NllMean(nr, forward);
            // First-order propagation of the two losses' bounds (×1.01 for the linearisation).
            Assert.Equal(1 - lr / lb, table.Numbers("S", "t")[r], lr / lb * (tr / lr + tb / lb) * 1.01);
            Assert.Equal(lb - lr, table.Numbers("S_diff", "t")[r], tb + tr);
            Assert.Equal(lb / lr - 1, table.Numbers("S_ref_denominator", "t")[r], lb / lr * (tb / lb + tr / lr) * 1.01);
            Assert.Equal(1, table.Numbers("scorable", "t")[r]);
        }
    }
}

public class NonFiniteScoreTests
{
    [Fact]
    public void AModelThatOutputsNaNGivesNaNRowsThatSelectionSkips()
    {
        var ws = new ScoringWorkspace();
        var broken = Path.Combine(ws.Dir, "broken");
        using (var model = ModelFolder.Load(ws.Model))
        {
            using (var _ = TorchSharp.torch.no_grad())
                model.named_parameters().Single(p => p.name == "model.norm.weight").parameter.fill_(double.NaN);
            ModelFolder.Save(model, broken, ws.Model);
        }
        var (code, _, stderr) = ScoringWorkspace.Sift(["score", "perplexity", "--model", broken, .. ws.Common("nan")]);
        Assert.True(code == 0, stderr);
        Assert.Contains("non-finite loss", stderr);
        var table = ScoreTableFiles.Read(ws.Out("nan") + ".parquet");
        Assert.All(table.Numbers("loss", "t"), v => Assert.True(double.IsNaN(v)));
        Assert.Equal(ws.Count - 1, ScoreMeta.Read(ws.Out("nan") + ".meta.json").NonFinite);
        Assert.Contains("\"loss\":null", File.ReadAllText(ws.Out("nan") + ".jsonl"));

        (code, var stdout, stderr) = ScoringWorkspace.Sift("select", "--scores", ws.Out("nan") + ".jsonl", "--data", ws.Data, "--out", ws.Out("sel"), "--column", "loss", "--top-k", "3");
        Assert.True(code == 0, stderr);
        Assert.Contains("selected: 0 examples", stdout);
        Assert.Contains("no finite value", stdout);
        Assert.Empty(File.ReadAllText(Path.Combine(ws.Out("sel"), "selected.jsonl")));
    }

    [Fact]
    public void OutIntoAMissingFolderCreatesIt()
    {
        var ws = new ScoringWorkspace();
        var stem = Path.Combine(ws.Dir, "not", "there", "ppl");
        var (code, _, stderr) = ScoringWorkspace.Sift(["score", "perplexity", "--model", ws.Model, "--data", ws.Data, "--out", stem, "--max-length", $"{ScoringWorkspace.MaxLength}"]);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(stem + ".parquet"));
        Assert.True(File.Exists(stem + ".meta.json"));
    }
}

using System.Text.Json;
using Sift.Scoring;

namespace Sift.Tests.Scoring;

/// <summary>Scores are keyed on the weights: retraining into the same folder never reuses, resumes or merges rows of the old weights.</summary>
public class StaleScoreTests
{
    private static ScoreTable Table(string stem) => ScoreTableFiles.Read(stem + ".parquet");

    private static string[] Perplexity(ScoringWorkspace ws, string name, params string[] extra) =>
        ["score", "perplexity", "--model", ws.Model, .. ws.Common(name, extra)];

    [Fact]
    public void RetrainingIntoTheSameFolderRescoresInsteadOfAnsweringAlreadyComplete()
    {
        var ws = new ScoringWorkspace();
        Assert.Equal(0, ScoringWorkspace.Sift(Perplexity(ws, "ppl")).Code);
        var old = Table(ws.Out("ppl")).Numbers("nll_sum", "t");

        ws.SaveModel("model", seed: 2);
        var (code, stdout, stderr) = ScoringWorkspace.Sift(Perplexity(ws, "ppl"));
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("already scored", stdout);
        Assert.Contains($"weights changed since {ws.Out("ppl")}.meta.json was written: {Path.GetFullPath(ws.Model)}", stderr);
        Assert.Contains(": rescoring", stderr);
        Assert.Equal(0, ScoringWorkspace.Sift(Perplexity(ws, "fresh")).Code);
        var rescored = Table(ws.Out("ppl")).Numbers("nll_sum", "t");
        Assert.Equal(Table(ws.Out("fresh")).Numbers("nll_sum", "t"), rescored);
        Assert.NotEqual(old, rescored);

        (code, stdout, _) = ScoringWorkspace.Sift(Perplexity(ws, "ppl"));
        Assert.Equal(0, code);
        Assert.Contains("already scored", stdout);
    }

    [Fact]
    public void APartialFileOfOtherWeightsIsDiscardedSoRowsOfTwoModelsNeverMix()
    {
        var ws = new ScoringWorkspace();
        Assert.Equal(0, ScoringWorkspace.Sift(Perplexity(ws, "ppl")).Code);
        var stem = ws.Out("ppl");
        WritePartial(stem, ScoreMeta.Read(stem + ".meta.json"), Table(stem), rows: 5);

        ws.SaveModel("model", seed: 2);
        var (code, stdout, stderr) = ScoringWorkspace.Sift(Perplexity(ws, "ppl"));
        Assert.True(code == 0, stderr);
        Assert.Contains($"discarded the rows in {ScoreJob.PartialPath(stem)}", stderr);
        Assert.Contains("other weights of " + Path.GetFullPath(ws.Model), stderr);
        Assert.DoesNotContain("resumed", stdout);
        Assert.Equal(0, ScoringWorkspace.Sift(Perplexity(ws, "fresh")).Code);
        Assert.Equal(Table(ws.Out("fresh")).Numbers("nll_sum", "t"), Table(stem).Numbers("nll_sum", "t"));
    }

    [Fact]
    public void TablesAndPartialsFromBeforeWeightsWereRecordedAreTreatedAsStale()
    {
        var ws = new ScoringWorkspace();
        Assert.Equal(0, ScoringWorkspace.Sift(Perplexity(ws, "ppl")).Code);
        var stem = ws.Out("ppl");
        var meta = ScoreMeta.Read(stem + ".meta.json");
        (meta with { ModelWeights = null }).Write(stem + ".meta.json");
        var (code, stdout, stderr) = ScoringWorkspace.Sift(Perplexity(ws, "ppl"));
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("already scored", stdout);
        Assert.Contains("written before Sift recorded the weights", stderr);

        foreach (var ext in new[] { ".parquet", ".jsonl", ".meta.json" }) File.Delete(stem + ext);
        File.WriteAllText(ScoreJob.PartialPath(stem),
            JsonSerializer.Serialize(new { sift_partial = 1, fingerprint = meta.Fingerprint + "|" }) + "\n" +
            JsonSerializer.Serialize(new { pass = "model", id = "q0", n_tokens = 3, nll_sum = 1234.5, correct = 0 }) + "\n");
        (code, stdout, stderr) = ScoringWorkspace.Sift(Perplexity(ws, "ppl"));
        Assert.True(code == 0, stderr);
        Assert.Contains("written before Sift recorded the weights", stderr);
        Assert.DoesNotContain("resumed", stdout);
        Assert.DoesNotContain(1234.5, Table(stem).Numbers("nll_sum", "t"));
    }

    [Fact]
    public void MergingShardsScoredWithDifferentWeightsIsRefusedNamingBothShardsAndTheModel()
    {
        var ws = new ScoringWorkspace();
        Assert.Equal(0, ScoringWorkspace.Sift(Perplexity(ws, "s", "--shard", "0/2")).Code);
        ws.SaveModel("model", seed: 2);
        Assert.Equal(0, ScoringWorkspace.Sift(Perplexity(ws, "s", "--shard", "1/2")).Code);

        var (code, _, stderr) = ScoringWorkspace.Sift("score", "merge", "--out", ws.Out("s"));
        Assert.Equal(1, code);
        Assert.Contains(ws.Out("s.shard-0-of-2") + ".meta.json", stderr);
        Assert.Contains(ws.Out("s.shard-1-of-2") + ".meta.json", stderr);
        Assert.Contains("different weights of " + Path.GetFullPath(ws.Model), stderr);
        Assert.False(File.Exists(ws.Out("s") + ".parquet"));

        Assert.Equal(0, ScoringWorkspace.Sift(Perplexity(ws, "s", "--shard", "0/2")).Code); // rescored: the table's weights changed
        (code, _, stderr) = ScoringWorkspace.Sift("score", "merge", "--out", ws.Out("s"));
        Assert.True(code == 0, stderr);
    }

    /// <summary>What a run killed after scoring the first <paramref name="rows"/> rows leaves: its partial file, and no table.</summary>
    internal static void WritePartial(string stem, ScoreMeta meta, ScoreTable table, int rows)
    {
        var n = table.Numbers("n_tokens", "t");
        var lines = new List<string> { JsonSerializer.Serialize(new { sift_partial = 1, fingerprint = meta.Fingerprint + "|", models = meta.Models, model_weights = meta.ModelWeights }) };
        for (int r = 0; r < rows; r++)
            lines.Add(JsonSerializer.Serialize(new { pass = "model", id = table.Ids[r], n_tokens = (int)n[r], nll_sum = table.Numbers("nll_sum", "t")[r], correct = 0 }));
        File.WriteAllText(ScoreJob.PartialPath(stem), string.Join("\n", lines) + "\n");
        foreach (var ext in new[] { ".parquet", ".jsonl", ".meta.json" }) File.Delete(stem + ext);
    }
}

using Sift.IO;
using System.Text.Json;
using Sift.Pipeline;
using Sift.Scoring;

namespace Sift.Tests.Scoring;

public class SelectCliTests
{
    private static (ScoringWorkspace Ws, string Scores) Scored()
    {
        var ws = new ScoringWorkspace();
        var (code, _, stderr) = ScoringWorkspace.Sift(["score", "perplexity", "--model", ws.Model, .. ws.Common("ppl")]);
        Assert.True(code == 0, stderr);
        return (ws, ws.Out("ppl") + ".parquet");
    }

    [Fact]
    public void TopKWritesTheOriginalConversationsAndAManifest()
    {
        var (ws, scores) = Scored();
        var outDir = ws.Out("sel");
        var (code, stdout, stderr) = ScoringWorkspace.Sift("select", "--scores", scores, "--data", ws.Data, "--out", outDir, "--column", "loss", "--order", "lowest", "--top-k", "3");
        Assert.True(code == 0, stderr);
        Assert.Contains("selected: 3 examples", stdout);

        var table = ScoreTableFiles.Read(scores);
        var loss = table.Numbers("loss", "t");
        var expected = Enumerable.Range(0, table.RowCount).OrderBy(r => loss[r]).Take(3).Select(r => table.Ids[r]).ToHashSet();
        var originals = File.ReadAllLines(ws.Data).ToDictionary(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!);
        var written = File.ReadAllLines(Path.Combine(outDir, "selected.jsonl"));
        Assert.Equal(expected, written.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToHashSet());
        foreach (var line in written)
        {
            var doc = JsonDocument.Parse(line).RootElement;
            var original = JsonDocument.Parse(originals[doc.GetProperty("id").GetString()!]).RootElement;
            Assert.Equal(original.GetProperty("messages").GetRawText(), doc.GetProperty("messages").GetRawText());
        }

        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json"))).RootElement;
        Assert.Equal(ContentHash.OfFile(scores), manifest.GetProperty("inputs").GetProperty("scores").GetProperty("sha256").GetString());
        Assert.Equal(ContentHash.OfFile(ws.Data), manifest.GetProperty("inputs").GetProperty("data").GetProperty("sha256").GetString());
        Assert.Equal(1, manifest.GetProperty("counts").GetProperty("not_scored").GetInt32());
        var subset = manifest.GetProperty("subsets")[0];
        Assert.Equal(3, subset.GetProperty("count").GetInt32());
        Assert.Equal(loss.Order().Take(3).Max(), subset.GetProperty("score_max").GetDouble());
        Assert.Equal("lowest", manifest.GetProperty("policy").GetProperty("order").GetString());
    }

    [Fact]
    public void MedianSplitWritesTwoNamedSubsetsCoveringEveryScoredExample()
    {
        var (ws, scores) = Scored();
        var outDir = ws.Out("split");
        var (code, _, stderr) = ScoringWorkspace.Sift("select", "--scores", scores, "--data", ws.Data, "--out", outDir, "--column", "perplexity", "--order", "lowest", "--split", "median");
        Assert.True(code == 0, stderr);
        var confident = File.ReadAllLines(Path.Combine(outDir, "confident.jsonl"));
        var unconfident = File.ReadAllLines(Path.Combine(outDir, "unconfident.jsonl"));
        Assert.Equal(6, confident.Length);
        Assert.Equal(5, unconfident.Length);
        Assert.Empty(confident.Intersect(unconfident));
    }

    [Fact]
    public void RandomSelectionIsSeededAndStratifiedByAJoinedColumn()
    {
        var (ws, scores) = Scored();
        var strata = ws.Out("strata.jsonl");
        File.WriteAllLines(strata, ScoreTableFiles.Read(scores).Ids.Select((id, i) => $"{{\"id\":\"{id}\",\"source\":\"{(i < 4 ? "a" : "b")}\"}}"));
        string[] Args(string dir, long seed) => ["select", "--scores", scores, "--data", ws.Data, "--out", ws.Out(dir), "--random", $"{seed}", "--fraction", "0.5", "--stratify", "source", "--with", strata];
        Assert.Equal(0, ScoringWorkspace.Sift(Args("r1", 7)).Code);
        Assert.Equal(0, ScoringWorkspace.Sift(Args("r2", 7)).Code);
        Assert.Equal(0, ScoringWorkspace.Sift(Args("r3", 8)).Code);
        var first = File.ReadAllText(Path.Combine(ws.Out("r1"), "selected.jsonl"));
        Assert.Equal(first, File.ReadAllText(Path.Combine(ws.Out("r2"), "selected.jsonl")));
        Assert.NotEqual(first, File.ReadAllText(Path.Combine(ws.Out("r3"), "selected.jsonl")));
        var ids = File.ReadAllLines(Path.Combine(ws.Out("r1"), "selected.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()).ToList();
        Assert.Equal(5, ids.Count); // floor(0.5 * 11): 2 of the 4 in a, 3 of the 7 in b
        var inA = ScoreTableFiles.Read(scores).Ids.Take(4).ToHashSet();
        Assert.Equal(2, ids.Count(id => inA.Contains(id!)));
    }

    [Fact]
    public void IfdPresetDropsIfdAboveOneThenTakesTheHighest()
    {
        var ws = new ScoringWorkspace();
        Assert.Equal(0, ScoringWorkspace.Sift(["score", "ifd", "--model", ws.Model, .. ws.Common("ifd")]).Code);
        var scores = ws.Out("ifd") + ".parquet";
        var (code, _, stderr) = ScoringWorkspace.Sift("select", "--scores", scores, "--data", ws.Data, "--out", ws.Out("sel"), "--preset", "ifd", "--top-k", "3");
        Assert.True(code == 0, stderr);
        var table = ScoreTableFiles.Read(scores);
        var ifd = table.Numbers("ifd_loss_ratio", "t");
        Assert.Contains(ifd, v => v > 1); // the fixture has examples the filter must drop
        var expected = Enumerable.Range(0, table.RowCount).Where(r => ifd[r] <= 1).OrderByDescending(r => ifd[r]).Take(3).Select(r => table.Ids[r]).ToHashSet();
        var chosen = File.ReadAllLines(Path.Combine(ws.Out("sel"), "selected.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToHashSet();
        Assert.Equal(expected, chosen);
        var counts = JsonDocument.Parse(File.ReadAllText(Path.Combine(ws.Out("sel"), "manifest.json"))).RootElement.GetProperty("counts");
        Assert.Equal(ifd.Count(v => v > 1), counts.GetProperty("filtered").GetInt32());
    }

    [Fact]
    public void BadSelectionsGiveOneLineErrors()
    {
        var (ws, scores) = Scored();
        var (code, _, stderr) = ScoringWorkspace.Sift("select", "--scores", scores, "--data", ws.Data, "--out", ws.Out("x"), "--column", "nope", "--top-k", "2");
        Assert.Equal(1, code);
        Assert.Contains("no column 'nope'", stderr);
        (code, _, stderr) = ScoringWorkspace.Sift("select", "--scores", scores, "--data", ws.Data, "--out", ws.Out("x"), "--column", "loss", "--top-k", "2", "--fraction", "0.1");
        Assert.Equal(1, code);
        Assert.Contains("one of --top-k", stderr);
        var other = ws.Out("other.jsonl");
        File.WriteAllLines(other, File.ReadAllLines(ws.Data).Take(3));
        (code, _, stderr) = ScoringWorkspace.Sift("select", "--scores", scores, "--data", other, "--out", ws.Out("x"), "--column", "loss", "--top-k", "2");
        Assert.Equal(1, code);
        Assert.Contains("are not in", stderr);
    }
}

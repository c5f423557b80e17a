using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Eval;
using Sift.Scoring;

namespace Sift.Tests.Eval;

public class NoiseDetectionTests
{
    /// <summary>Six Alpaca records with given ids; c and e are the noisy ones.</summary>
    private static string Labels(string dir, Func<int, JsonNode?>? label = null)
    {
        var path = Path.Combine(dir, "noisy.jsonl");
        File.WriteAllLines(path, "abcdef".Select((id, i) => new JsonObject
        {
            ["id"] = id.ToString(), ["instruction"] = $"Task {id}", ["input"] = "", ["output"] = $"Answer {id}",
            ["noisy"] = label != null ? label(i) : id is 'c' or 'e',
        }.ToJsonString()));
        return path;
    }

    private static ScoreTable Table(string[] ids, params (string Name, double[] Values)[] columns) =>
        new([new ScoreColumn("id", ids), .. columns.Select(c => new ScoreColumn(c.Name, c.Values))]);

    [Fact]
    public void EachColumnsAurocJoinedByIdWithItsOrientation()
    {
        var labels = NoiseDetection.ReadLabels(Labels(Paths.NewTempDir()), new DatasetOptions(), "noisy");
        // Rows in another order than the labels file. Noisy: c (0.9), e (0.4); clean: a 0.1, b 0.5, d 0.3, f 0.2.
        // Pairs (noisy > clean): c beats all 4, e beats a, d, f -> 7 of 8 pairs: AUROC 0.875.
        // "confidence" is the same scores negated: suspicious when low, AUROC 0.875 with orientation -1.
        // "random" ties everything: 0.5.
        string[] ids = ["f", "e", "d", "c", "b", "a"];
        double[] loss = [0.2, 0.4, 0.3, 0.9, 0.5, 0.1];
        var results = NoiseDetection.Compute(Table(ids, ("loss", loss), ("confidence", loss.Select(v => -v).ToArray()), ("random", [1, 1, 1, 1, 1, 1])),
            "scores.jsonl", labels, "noisy.jsonl", null);
        Assert.Equal(["loss", "confidence", "random"], results.Select(r => r.Column));
        Assert.Equal((0.875, 1, 2, 4), (results[0].Auroc, results[0].Orientation, results[0].Positives, results[0].Negatives));
        Assert.Equal((0.875, -1), (results[1].Auroc, results[1].Orientation));
        Assert.Equal("low = positive", results[1].OrientationText);
        Assert.Equal(0.5, results[2].Auroc);

        // LoBaSS keeps high learnability, so a low S flags an example: an S that is high on the noisy ones reads 1 - 0.875.
        var wrongEnd = NoiseDetection.Compute(Table(ids, ("S", loss)), "s", labels, "l", null);
        Assert.Equal((0.125, -1), (wrongEnd[0].Auroc, wrongEnd[0].Orientation));

        // A column Sift does not know needs its orientation said.
        var unknown = Assert.Throws<SiftException>(() => NoiseDetection.Compute(Table(ids, ("my_score", loss)), "s", labels, "l", ["my_score"]));
        Assert.Contains("--orientation my_score=high", unknown.Message);
        var declared = NoiseDetection.Compute(Table(ids, ("my_score", loss)), "s", labels, "l", ["my_score"], NoiseDetection.ParseOrientations("my_score=low"));
        Assert.Equal(0.125, declared[0].Auroc);

        // Strata whose scores sit at different levels: task A (a, b clean at 10, 11; c noisy at 12), task B (d, f clean at 1, 2;
        // e noisy at 3). Within each task the noisy example is highest (within-strata AUROC 1); pooled, e (3) loses to a and b: 6 of 8 pairs.
        var strata = new Dictionary<string, string> { ["a"] = "A", ["b"] = "A", ["c"] = "A", ["d"] = "B", ["e"] = "B", ["f"] = "B" };
        var leveled = NoiseDetection.Compute(Table(ids, ("loss", [2, 3, 1, 12, 11, 10])), "s", labels, "l", null, null, strata);
        Assert.Equal((0.75, 1.0), (leveled[0].Auroc, leveled[0].WithinAuroc));

        // f's NaN leaves it out: c beats a, b, d; e beats a, d but not b -> 5 of 6 pairs.
        var chosen = NoiseDetection.Compute(Table(ids, ("loss", [double.NaN, 0.4, 0.3, 0.9, 0.5, 0.1])), "s", labels, "l", ["loss"]);
        Assert.Equal((5.0 / 6, 1, 3), (chosen[0].Auroc, chosen[0].Excluded, chosen[0].Negatives));
    }

    [Fact]
    public void ScoredIdsWithoutALabelAreAnError()
    {
        var labels = NoiseDetection.ReadLabels(Labels(Paths.NewTempDir()), new DatasetOptions(), "noisy");
        var e = Assert.Throws<SiftException>(() => NoiseDetection.Compute(Table(["a", "x", "c", "y"], ("loss", [1, 2, 3, 4])), "scores.parquet", labels, "noisy.jsonl", null));
        Assert.Equal("noisy.jsonl: no label for 2 of the 4 example ids in scores.parquet (first: x, y); " +
                     "the labels must come from the data file that was scored, so that the example ids match", e.Message);
    }

    [Fact]
    public void LabelsMustBeBooleans()
    {
        var dir = Paths.NewTempDir();
        var path = Labels(dir, i => i == 3 ? "maybe" : i % 2);
        var e = Assert.Throws<SiftException>(() => NoiseDetection.ReadLabels(path, new DatasetOptions(), "noisy"));
        Assert.Equal($"{path}:4: field 'noisy' is \"maybe\"; a label must be true/false, 1/0 or \"true\"/\"false\"", e.Message);
        e = Assert.Throws<SiftException>(() => NoiseDetection.ReadLabels(path, new DatasetOptions(), "corrupted"));
        Assert.StartsWith($"{path}:1: example 'a' has no field 'corrupted'", e.Message);
    }

    [Fact]
    public void CliWritesTheTableForAScoreTableOfTheLabelledFile()
    {
        var dir = Paths.NewTempDir();
        var data = Path.Combine(dir, "data.jsonl");
        // No id fields: ids are the content hashes `sift` assigns when reading, in scores and labels alike.
        File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i => new JsonObject
        {
            ["instruction"] = $"Say {i}.", ["input"] = "", ["output"] = $"{i}", ["noisy"] = i < 3 ? "true" : "false",
        }.ToJsonString()));
        var ids = DatasetReader.Read(data, new DatasetOptions()).Select(c => c.Id).ToArray();
        var stem = Path.Combine(dir, "scores");
        ScoreTableFiles.WriteBoth(Table(ids, ("perplexity", [9, 8, 7, 1, 2, 3, 4, 5]), ("tokens", [1, 1, 1, 1, 1, 1, 1, 1])), stem);

        var outDir = Path.Combine(dir, "eval");
        var (code, stdout, err) = CliRunner.Run("eval", "auroc", "--scores", stem + ".parquet", "--labels", data, "--label-field", "noisy", "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("perplexity  1.0000  high = positive", stdout);
        var rows = NoiseDetection.Read(Path.Combine(outDir, NoiseDetection.FileName));
        Assert.Equal([new DetectionResult("perplexity", 1.0, 1, 3, 5, 0)], rows);

        (code, _, err) = CliRunner.Run("eval", "auroc", "--scores", stem + ".jsonl", "--labels", data, "--columns", "perplexity,missing", "--out", outDir);
        Assert.Equal(1, code);
        Assert.Contains("no column 'missing'", err);
    }
}

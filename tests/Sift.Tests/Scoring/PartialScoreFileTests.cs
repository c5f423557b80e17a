using Sift.Scoring;

namespace Sift.Tests.Scoring;

public class PartialScoreFileTests
{
    private static readonly ScoredWeights Weights = new(["/models/a"], ["w1"]);

    [Fact]
    public void RowsSurviveReopeningAndATornLastLineIsCutOff()
    {
        var path = Path.Combine(Paths.NewTempDir(), "p.partial.jsonl");
        using (var file = PartialScoreFile.Open(path, "fp", Weights))
            file.Append("base", [new ExampleStats("a", 3, 1.0 / 3.0, 1), new ExampleStats("b", 2, double.NaN, 0)]);
        File.AppendAllText(path, "{\"pass\":\"base\",\"id\":\"c\",\"n_tok");
        using (var file = PartialScoreFile.Open(path, "fp", Weights))
        {
            var done = file.Done("base");
            Assert.Equal(2, done.Count);
            Assert.Equal(1.0 / 3.0, done["a"].NllSum);
            Assert.True(double.IsNaN(done["b"].NllSum));
            Assert.Empty(file.Done("ref"));
            file.Append("ref", [new ExampleStats("a", 3, 0.5, 2)]);
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(4, lines.Length);
        Assert.DoesNotContain(lines, l => l.Contains("\"c\""));
        using (var file = PartialScoreFile.Open(path, "fp", Weights)) Assert.Single(file.Done("ref"));
    }

    [Fact]
    public void AFileOfAnotherJobOrDamagedInTheMiddleIsRefused()
    {
        var path = Path.Combine(Paths.NewTempDir(), "p.partial.jsonl");
        using (var file = PartialScoreFile.Open(path, "fp", Weights)) file.Append("base", [new ExampleStats("a", 3, 1, 1)]);
        Assert.Contains("different scoring job", Assert.Throws<SiftException>(() => PartialScoreFile.Open(path, "other", Weights)).Message);
        var lines = File.ReadAllLines(path).ToList();
        lines.Insert(1, "garbage");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        Assert.Contains("p.partial.jsonl:2", Assert.Throws<SiftException>(() => PartialScoreFile.Open(path, "fp", Weights)).Message);
    }

    [Fact]
    public void RowsOfOtherWeightsOrWithoutRecordedWeightsAreDiscarded()
    {
        var path = Path.Combine(Paths.NewTempDir(), "p.partial.jsonl");
        using (var file = PartialScoreFile.Open(path, "fp", Weights)) file.Append("base", [new ExampleStats("a", 3, 1, 1)]);
        using (var file = PartialScoreFile.Open(path, "fp-retrained", new ScoredWeights(["/models/a"], ["w2"])))
        {
            Assert.Contains("other weights of /models/a (weights w1 → w2)", file.StartedOver);
            Assert.Empty(file.Done("base"));
        }
        Assert.Single(File.ReadAllLines(path));
        Assert.Contains("\"w2\"", File.ReadAllText(path));

        File.WriteAllText(path, "{\"sift_partial\":1,\"fingerprint\":\"fp\"}\n{\"pass\":\"base\",\"id\":\"a\",\"n_tokens\":3,\"nll_sum\":1,\"correct\":1}\n");
        using (var file = PartialScoreFile.Open(path, "fp", Weights))
        {
            Assert.Contains("before Sift recorded the weights", file.StartedOver);
            Assert.Empty(file.Done("base"));
        }
        using (var file = PartialScoreFile.Open(path, "fp", Weights)) Assert.Null(file.StartedOver);
    }
}

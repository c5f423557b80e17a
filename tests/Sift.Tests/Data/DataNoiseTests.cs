using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Operations;

namespace Sift.Tests.Data;

public class DataNoiseTests
{
    private static string AlpacaFile(int n)
    {
        var path = Path.Combine(Paths.NewTempDir("sift-noise"), "pool.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => $"{{\"instruction\": \"Say {i}.\", \"input\": \"\", \"output\": \"answer {i}\"}}"));
        return path;
    }

    [Fact]
    public void ShuffledAnswersComeFromOtherCorruptedExamplesAndAreLabeled()
    {
        var input = AlpacaFile(50);
        var output = Path.ChangeExtension(input, ".noisy.jsonl");
        var (total, noisy) = DataNoise.ShuffleResponses(input, output, new DatasetOptions(), 0.2, seed: 4);
        Assert.Equal((50, 10), (total, noisy));
        var rows = File.ReadLines(output).Select(l => JsonNode.Parse(l)!).ToList();
        var wrong = rows.Where(r => r["noisy"]!.GetValue<bool>()).ToList();
        Assert.Equal(10, wrong.Count);
        foreach (var r in rows)
        {
            var prompt = r["messages"]![0]!["content"]!.GetValue<string>();
            var answer = r["messages"]![1]!["content"]!.GetValue<string>();
            bool matches = prompt == $"Say {answer["answer ".Length..]}.";
            Assert.Equal(!r["noisy"]!.GetValue<bool>(), matches);
        }
        var corruptedAnswers = wrong.Select(r => r["messages"]![1]!["content"]!.GetValue<string>()).Order();
        var theirOwn = wrong.Select(r => "answer " + r["messages"]![0]!["content"]!.GetValue<string>()[4..^1]).Order();
        Assert.Equal(theirOwn, corruptedAnswers);
    }

    [Fact]
    public void SplitIsByIdAndIndependentOfOrder()
    {
        var input = AlpacaFile(200);
        var dir = input + ".split";
        var (train, held) = DatasetFiles.Split(input, dir, new DatasetOptions(), 0.25);
        Assert.Equal(200, train + held);
        Assert.InRange(held, 30, 70);
        var heldIds = DatasetReader.Read(Path.Combine(dir, "heldout.jsonl"), new DatasetOptions()).Select(c => c.Id).ToList();
        Assert.All(heldIds, id => Assert.True(HeldOutSplit.IsHeldOut(id, 0.25)));
        var reversed = input + ".rev.jsonl";
        File.WriteAllLines(reversed, File.ReadAllLines(input).Reverse());
        DatasetFiles.Split(reversed, dir + "2", new DatasetOptions(), 0.25);
        var again = DatasetReader.Read(Path.Combine(dir + "2", "heldout.jsonl"), new DatasetOptions()).Select(c => c.Id).Order();
        Assert.Equal(heldIds.Order(), again);
    }

    [Fact]
    public void SplitCommandStopsAtAnInvalidRecordOrSkipsItWhenAsked()
    {
        var input = AlpacaFile(20);
        File.AppendAllText(input, "{\"instruction\": \"Say nothing.\", \"input\": \"\", \"output\": \"\"}\n");
        var failed = CliRunner.Run("data", "split", input, "--out", input + ".a");
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains($"{input}:21: field 'output'", failed.Stderr);
        var skipped = CliRunner.Run("data", "split", input, "--out", input + ".b", "--skip-invalid");
        Assert.Equal(0, skipped.ExitCode);
        Assert.Contains("skipped 1 invalid records", skipped.Stdout);
        int written = File.ReadLines(Path.Combine(input + ".b", "train.jsonl")).Count() + File.ReadLines(Path.Combine(input + ".b", "heldout.jsonl")).Count();
        Assert.Equal(20, written);
    }

    [Fact]
    public void CorruptingASingleExampleIsRefused()
    {
        var input = AlpacaFile(10);
        var e = Assert.Throws<SiftException>(() => DataNoise.ShuffleResponses(input, input + ".out.jsonl", new DatasetOptions(), 0.1, 0));
        Assert.Contains("corrupts one example", e.Message);
    }
}

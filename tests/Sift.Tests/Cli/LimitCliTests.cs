using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Eval;
using Sift.Scoring;
using Sift.Tests.Scoring;

namespace Sift.Tests.Cli;

/// <summary>--limit N on the commands that read a data file: the first N valid examples, and a located error for anything else.</summary>
public class LimitCliTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("ten")]
    public void EveryDataReaderRefusesABadLimitNamingTheFlag(string bad)
    {
        var dir = Paths.NewTempDir("sift-limit-cli");
        var data = Path.Combine(dir, "data.jsonl");
        File.WriteAllText(data, "{\"instruction\": \"Say hi.\", \"output\": \"Hi.\"}\n");
        var model = Path.Combine(dir, "no-model");
        string[][] commands =
        [
            ["data", "convert", data, Path.Combine(dir, "out.jsonl")],
            ["data", "split", data, "--out", Path.Combine(dir, "split")],
            ["data", "noise", data, Path.Combine(dir, "noisy.jsonl")],
            ["data", "inspect", data, "--model", model],
            ["score", "perplexity", "--model", model, "--data", data, "--out", Path.Combine(dir, "ppl")],
            ["score", "learnability", "--base", model, "--ref", model, "--data", data, "--out", Path.Combine(dir, "s")],
            ["score", "confidence", "--checkpoints", model, model, "--data", data, "--out", Path.Combine(dir, "c")],
            ["score", "ifd", "--model", model, "--data", data, "--out", Path.Combine(dir, "ifd")],
            ["score", "random", "--data", data, "--out", Path.Combine(dir, "random")],
            ["select", "--scores", data, "--data", data, "--out", Path.Combine(dir, "sel"), "--top-k", "1", "--column", "x"],
            ["eval", "--model", model, "--data", data, "--out", Path.Combine(dir, "eval")],
        ];
        foreach (var command in commands)
        {
            var (code, _, err) = CliRunner.Run([.. command, $"--limit={bad}"]);
            Assert.True(code == 1, $"{string.Join(' ', command)}: {err}");
            Assert.Contains($"error: --limit: expected a positive whole number of examples, got '{bad}'", err);
        }
        var (trainCode, _, trainErr) = CliRunner.Run("train", "--model", model, "--data", data, "--output-dir", Path.Combine(dir, "run"), $"--limit={bad}");
        Assert.Equal(1, trainCode);
        Assert.Contains($"error: --limit: expected a positive whole number of examples, got '{bad}'", trainErr);
    }

    [Fact]
    public void ConvertWritesTheFirstNValidExamples()
    {
        var dir = Paths.NewTempDir("sift-limit-cli");
        var input = Path.Combine(dir, "in.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 6).Select(i => i == 1
            ? "{\"instruction\": \"no answer\"}"
            : $"{{\"id\": \"e{i}\", \"instruction\": \"Say {i}.\", \"output\": \"{i}\"}}"));
        var output = Path.Combine(dir, "out.jsonl");
        var (code, stdout, err) = CliRunner.Run("data", "convert", input, output, "--skip-invalid", "--limit", "3");
        Assert.True(code == 0, err);
        Assert.Contains("wrote 3 examples", stdout);
        Assert.Equal(["e0", "e2", "e3"], DatasetReader.Read(output, new DatasetOptions()).Select(c => c.Id));
    }

    [Fact]
    public void ScoreScoresExactlyNRowsAndAFullRunAfterwardsRescores()
    {
        var ws = new ScoringWorkspace();
        var (code, stdout, err) = ScoringWorkspace.Sift(["score", "perplexity", "--model", ws.Model, .. ws.Common("ppl", "--limit", "3")]);
        Assert.True(code == 0, err);
        Assert.Contains("scored 3 examples", stdout);
        var table = ScoreTableFiles.Read(ws.Out("ppl") + ".parquet");
        Assert.Equal(["q0", "q1", "q2"], table.Ids);
        Assert.Equal(3, ScoreMeta.Read(ws.Out("ppl") + ".meta.json").DataLimit);

        // The limit is part of the table's fingerprint: the whole file is not "already scored".
        (code, stdout, err) = ScoringWorkspace.Sift(["score", "perplexity", "--model", ws.Model, .. ws.Common("ppl")]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("already scored", stdout);
        Assert.Equal(ws.Count - 1, ScoreTableFiles.Read(ws.Out("ppl") + ".parquet").RowCount); // one example is too long to score
        Assert.Null(ScoreMeta.Read(ws.Out("ppl") + ".meta.json").DataLimit);
        Assert.DoesNotContain("data_limit", File.ReadAllText(ws.Out("ppl") + ".meta.json"));
    }

    [Fact]
    public void EvalScoresExactlyNRows()
    {
        var ws = new ScoringWorkspace();
        var outDir = ws.Out("eval");
        var (code, stdout, err) = CliRunner.Run("eval", "--model", ws.Model, "--data", ws.Data, "--max-length", "48", "--limit", "2", "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("(2 examples,", stdout);
        var summary = EvalSummary.Read(outDir);
        Assert.Equal(2, summary.Examples);
        Assert.Equal(2, summary.DataLimit);
        var rows = File.ReadAllLines(Path.Combine(outDir, EvalSummary.ExamplesFile)).Select(l => JsonNode.Parse(l)!["id"]!.GetValue<string>());
        Assert.Equal(["q0", "q1"], rows);
    }

    [Fact]
    public void InspectSaysWhereTheReadStopped()
    {
        var ws = new ScoringWorkspace();
        var (code, stdout, err) = CliRunner.Run("data", "inspect", ws.Data, "--model", ws.Model, "--limit", "5", "--examples", "0");
        Assert.True(code == 0, err);
        Assert.Contains("5 records, 5 examples", stdout);
        Assert.Contains("stopped at --limit 5: the rest of the file was not read", stdout);
        (code, stdout, _) = CliRunner.Run("data", "inspect", ws.Data, "--model", ws.Model, "--limit", "500", "--examples", "0");
        Assert.Equal(0, code);
        Assert.DoesNotContain("stopped at --limit", stdout);
    }
}

using System.Text.RegularExpressions;
using Sift.Demo;

namespace Sift.Tests.Demo;

public class SyntheticInstructionsTests
{
    /// <summary>An independent solver: reads the prompt and computes the answer.</summary>
    private static string Solve(string task, string prompt)
    {
        var word = Regex.Match(prompt, @"of (\w+)\?$").Groups[1].Value;
        return task switch
        {
            "first" => word[..1],
            "second" => word.Substring(1, 1),
            "last" => word[^1..],
            "parity" => int.Parse(Regex.Match(prompt, @"Is (\d+) even").Groups[1].Value) % 2 == 0 ? "even" : "odd",
            _ => throw new ArgumentException(task),
        };
    }

    [Fact]
    public void CleanAnswersAreCorrectAndNoisyOnesAreWrongAnswersOfTheSameTask()
    {
        var examples = SyntheticInstructions.Generate(600, 0.25, seed: 3);
        Assert.Equal(150, examples.Count(e => e.IsNoisy));
        Assert.Equal(SyntheticInstructions.Tasks.Length, examples.Select(e => e.Task).Distinct().Count());
        foreach (var e in examples)
        {
            Assert.Equal(Solve(e.Task, e.Prompt), e.CorrectAnswer);
            if (e.IsNoisy) Assert.NotEqual(e.CorrectAnswer, e.Answer);
            else Assert.Equal(e.CorrectAnswer, e.Answer);
        }
        Assert.Equal(examples.Select(e => e.Answer), SyntheticInstructions.Generate(600, 0.25, seed: 3).Select(e => e.Answer));
    }

    [Fact]
    public void DemoDataKeepsHeldOutPromptsOutOfTrainingAndWritesALoadableTokenizer()
    {
        var dir = Path.Combine(Paths.NewTempDir("sift-demo-data"), "data");
        DemoData.Write(dir, trainCount: 300, heldoutCount: 60, pretrainCount: 200, noise: 0.3, seed: 1);
        var train = Sift.Data.DatasetReader.Read(Path.Combine(dir, "train.jsonl"), new Sift.Data.DatasetOptions()).ToList();
        var heldout = Sift.Data.DatasetReader.Read(Path.Combine(dir, "heldout.jsonl"), new Sift.Data.DatasetOptions()).ToList();
        Assert.Equal(300, train.Count);
        Assert.Equal(60, heldout.Count);
        Assert.Empty(train.Select(c => c.Messages[0].Content).Intersect(heldout.Select(c => c.Messages[0].Content)));
        // clean.jsonl is train.jsonl without the corrupted answers; pre-training text has only the pre-training tasks.
        var clean = Sift.Data.DatasetReader.Read(Path.Combine(dir, "clean.jsonl"), new Sift.Data.DatasetOptions()).ToList();
        Assert.Equal(300 - 90, clean.Count);
        Assert.Subset(train.Select(c => c.Id).ToHashSet(), clean.Select(c => c.Id).ToHashSet());
        var pretrainTasks = File.ReadLines(Path.Combine(dir, "pretrain.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("task").GetString()!).ToHashSet();
        Assert.Equal(SyntheticInstructions.PretrainTasks.ToHashSet(), pretrainTasks);
        var tokenizer = Sift.Text.ModelTokenizer.Load(Path.Combine(dir, "tokenizer"));
        Assert.Equal(DemoTokenizer.VocabSize, tokenizer.VocabSize);
        const string text = "Second letter of kalu? — ü";
        var ids = tokenizer.Encode(text, addBos: true);
        Assert.Equal(1 + System.Text.Encoding.UTF8.GetByteCount(text), ids.Length);
        Assert.Equal(text, tokenizer.Decode(ids, skipSpecialTokens: true));
    }
}

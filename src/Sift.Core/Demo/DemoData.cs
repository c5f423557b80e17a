using System.Text.Json.Nodes;
using Sift.IO;

namespace Sift.Demo;

/// <summary>
/// The demo's files: train.jsonl (messages, with each example's task, noise label and true answer),
/// clean.jsonl (the examples of train.jsonl whose answers were not corrupted: the oracle's data, what
/// a perfect filter would keep), heldout.jsonl (clean examples whose prompts never occur in train), pretrain.jsonl (other clean
/// instances of the same tasks, none with a held-out prompt: the base model's pre-training text,
/// so that it knows the tasks and a corrupted answer surprises it), and tokenizer/.
/// </summary>
public static class DemoData
{
    public static void Write(string dir, int trainCount, int heldoutCount, int pretrainCount, double noise, int seed)
    {
        Directory.CreateDirectory(dir);
        var train = SyntheticInstructions.Generate(trainCount, noise, seed, "train");
        var seen = train.Select(e => e.Prompt).ToHashSet();
        var heldout = SyntheticInstructions.Generate(heldoutCount * 4, 0, seed + 1, "heldout")
            .Where(e => !seen.Contains(e.Prompt)).DistinctBy(e => e.Prompt).Take(heldoutCount).ToList();
        WriteJsonl(Path.Combine(dir, "train.jsonl"), train);
        WriteJsonl(Path.Combine(dir, "clean.jsonl"), train.Where(e => !e.IsNoisy));
        WriteJsonl(Path.Combine(dir, "heldout.jsonl"), heldout);
        var held = heldout.Select(e => e.Prompt).ToHashSet();
        var corpus = SyntheticInstructions.Generate(pretrainCount, 0, seed + 2, "pretrain", SyntheticInstructions.PretrainTasks).Where(e => !held.Contains(e.Prompt));
        WriteJsonl(Path.Combine(dir, "pretrain.jsonl"), corpus);
        DemoTokenizer.Write(Path.Combine(dir, "tokenizer"));
    }

    private static void WriteJsonl(string path, IEnumerable<SyntheticExample> examples) =>
        AtomicFile.WriteAllText(path, string.Concat(examples.Select(e => new JsonObject
        {
            ["id"] = e.Id,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = e.Prompt },
                new JsonObject { ["role"] = "assistant", ["content"] = e.Answer }),
            ["task"] = e.Task,
            ["noisy"] = e.IsNoisy,
            ["correct_answer"] = e.CorrectAnswer,
        }.ToJsonString() + "\n")));
}

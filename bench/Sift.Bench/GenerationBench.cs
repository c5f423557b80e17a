using System.Diagnostics;
using Sift.Data;
using Sift.Generation;
using Sift.Models;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Bench;

/// <summary>
/// Greedy generation for evaluation: held-out Alpaca prompts (chat template with generation prompt)
/// answered one by one with <see cref="TextGenerator"/> and in left-padded batches with
/// <see cref="GreedyBatchGenerator"/>; tokens per second, and whether every batched answer equals
/// the one-by-one answer. Stop ids are off so every prompt generates the same number of tokens, unless
/// --stop eos ends each answer at the model's EOS, as evaluation does (then answers differ in length
/// and a batch's finished rows leave it).
/// </summary>
public static class GenerationBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var modelDir = Arg("--model", Path.Combine("..", "shared", "assets", "models", "stories260K-hf"));
        int count = int.Parse(Arg("--prompts", "64")), newTokens = int.Parse(Arg("--new", "64"));
        var batchSizes = Arg("--batches", "1,4,16,64").Split(',').Select(int.Parse).ToArray();
        bool eos = Arg("--stop", "none") == "eos";

        var tokenizer = ModelTokenizer.Load(modelDir);
        var template = ChatTemplate.ForModel(modelDir);
        using var model = ModelFolder.Load(modelDir);
        var stops = eos ? model.Config.EosTokenIds.Concat(tokenizer.StopIds).ToHashSet() : new HashSet<int>();
        var data = Path.Combine("..", "shared", "assets", "data", "alpaca-2k", "alpaca_data_2k.json");
        var prompts = DatasetReader.Read(data, new DatasetOptions { SkipInvalid = true }).TakeLast(count)
            .Select(c => tokenizer.Encode(template.Render(c.Messages.Take(c.Messages.Count - 1).ToList(), addGenerationPrompt: true).Text, addBos: false))
            .Where(p => p.Length + newTokens <= model.Config.MaxPositionEmbeddings)
            .Select(p => (IReadOnlyList<int>)p).ToList();
        Console.WriteLine($"{modelDir}: {prompts.Count} prompts of {prompts.Min(p => p.Count)}-{prompts.Max(p => p.Count)} tokens, " +
                          $"{(eos ? $"up to {newTokens} new tokens each (EOS ends an answer)" : $"{newTokens} new tokens each")}, greedy, {Environment.ProcessorCount} cores");

        // Untimed warm-up of both paths: the first passes through libtorch are slower.
        foreach (var p in prompts.Take(4)) TextGenerator.Generate(model, p, newTokens, new SamplingOptions(), stops).Count();
        GreedyBatchGenerator.Generate(model, prompts.Take(4).ToList(), newTokens, stops);

        var clock = Stopwatch.StartNew();
        var alone = prompts.Select(p => TextGenerator.Generate(model, p, newTokens, new SamplingOptions(), stops).ToArray()).ToList();
        Report("one by one (TextGenerator)", alone.Sum(a => a.Length), clock.Elapsed.TotalSeconds, null);

        foreach (int size in batchSizes)
        {
            clock.Restart();
            var order = Enumerable.Range(0, prompts.Count).OrderBy(i => prompts[i].Count).ToArray();
            var answers = new int[prompts.Count][];
            foreach (var chunk in order.Chunk(size))
            {
                var ids = GreedyBatchGenerator.Generate(model, chunk.Select(i => prompts[i]).ToList(), newTokens, stops);
                for (int r = 0; r < chunk.Length; r++) answers[chunk[r]] = ids[r];
            }
            int same = Enumerable.Range(0, prompts.Count).Count(i => answers[i].SequenceEqual(alone[i]));
            Report($"batches of {size} (left-padded, KV cache)", answers.Sum(a => a.Length), clock.Elapsed.TotalSeconds, same * 1.0 / prompts.Count);
        }
        return 0;
    }

    private static void Report(string label, int tokens, double seconds, double? sameShare) =>
        Console.WriteLine($"{label,-40} {tokens,6} tokens in {seconds,7:F2}s = {tokens / seconds,8:F1} tok/s" +
                          (sameShare is { } s ? $"   answers equal to one-by-one: {s:P0}" : ""));
}

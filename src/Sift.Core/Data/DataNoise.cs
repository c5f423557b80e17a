using Sift.IO;
using Sift.Text;

namespace Sift.Data;

/// <summary>
/// Noise injection for robustness experiments (methods.md Part C, experiment 4): a chosen fraction
/// of examples get another chosen example's final answer (a cyclic shift over a seeded random
/// order, so every corrupted answer is real text from the same file, just for the wrong prompt).
/// The output is messages JSON Lines with a "noisy" label per example.
/// </summary>
public static class DataNoise
{
    /// <param name="cleanOutput">When given, also writes the uncorrupted examples alone (the "oracle" training set).</param>
    public static (int Total, int Noisy) ShuffleResponses(string input, string output, DatasetOptions options, double fraction, int seed, string? cleanOutput = null)
    {
        if (fraction is < 0 or > 1) throw new SiftException($"--fraction must be in [0, 1], got {fraction}");
        var conversations = DatasetReader.Read(input, options).ToList();
        int k = (int)Math.Round(fraction * conversations.Count);
        if (k == 1) throw new SiftException($"{input}: a fraction of {fraction} corrupts one example, which has no other answer to take; use a larger fraction");
        var order = Enumerable.Range(0, conversations.Count).ToArray();
        new Random(seed).Shuffle(order);
        var chosen = order.Take(k).ToArray();
        var answers = chosen.Select(i => conversations[i].Messages[^1].Content).ToArray();
        var noisy = new bool[conversations.Count];
        for (int j = 0; j < k; j++)
        {
            var c = conversations[chosen[j]];
            var replaced = c.Messages.Take(c.Messages.Count - 1).Append(new ChatMessage(ChatMessage.Assistant, answers[(j + 1) % k])).ToList();
            conversations[chosen[j]] = c with { Messages = replaced };
            noisy[chosen[j]] = answers[(j + 1) % k] != answers[j];
        }
        AtomicFile.Write(output, stream =>
        {
            using var writer = new JsonlConversationWriter(stream);
            for (int i = 0; i < conversations.Count; i++) writer.Write(conversations[i], [("noisy", noisy[i])]);
            writer.Complete();
        });
        if (cleanOutput != null)
            AtomicFile.Write(cleanOutput, stream =>
            {
                using var writer = new JsonlConversationWriter(stream);
                for (int i = 0; i < conversations.Count; i++)
                    if (!noisy[i]) writer.Write(conversations[i]);
                writer.Complete();
            });
        return (conversations.Count, noisy.Count(n => n));
    }

    /// <summary>Splits a file into train.jsonl and heldout.jsonl by a hash of each example id (stable under reordering).</summary>
    public static (int Train, int HeldOut) Split(string input, string outDir, DatasetOptions options, double heldOutFraction)
    {
        if (heldOutFraction is <= 0 or >= 1) throw new SiftException($"--heldout-fraction must be in (0, 1), got {heldOutFraction}");
        int train = 0, held = 0;
        Directory.CreateDirectory(outDir);
        AtomicFile.Write(Path.Combine(outDir, "train.jsonl"), trainStream =>
            AtomicFile.Write(Path.Combine(outDir, "heldout.jsonl"), heldStream =>
            {
                using var trainWriter = new JsonlConversationWriter(trainStream);
                using var heldWriter = new JsonlConversationWriter(heldStream);
                foreach (var c in DatasetReader.Read(input, options))
                {
                    if (HeldOutSplit.IsHeldOut(c.Id, heldOutFraction)) { heldWriter.Write(c); held++; }
                    else { trainWriter.Write(c); train++; }
                }
                trainWriter.Complete();
                heldWriter.Complete();
            }));
        return (train, held);
    }

    /// <summary>Concatenates data files (each with its own read options) into one messages JSON Lines file; ids must stay unique.</summary>
    public static int Merge(IReadOnlyList<(string Path, DatasetOptions Options)> inputs, string output)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        int written = 0;
        AtomicFile.Write(output, stream =>
        {
            using var writer = new JsonlConversationWriter(stream);
            foreach (var (path, options) in inputs)
                foreach (var c in DatasetReader.Read(path, options))
                {
                    if (!seen.TryAdd(c.Id, path))
                        throw new SiftException($"{c.Source}: example id '{c.Id}' also occurs in {seen[c.Id]}; ids must be unique across the merged files");
                    writer.Write(c);
                    written++;
                }
            writer.Complete();
        });
        return written;
    }
}

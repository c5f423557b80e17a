using Sift.Data.Writers;
using Sift.IO;
using Sift.Text;

namespace Sift.Data.Operations;

/// <summary>
/// Noise injection for robustness experiments (docs/METHODS.md, noise injection): a chosen fraction of
/// examples get another chosen example's final answer (a cyclic shift over a seeded random order, so
/// every corrupted answer is real text from the same file, just for the wrong prompt). The output is
/// messages JSON Lines with a "noisy" label per example.
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
}

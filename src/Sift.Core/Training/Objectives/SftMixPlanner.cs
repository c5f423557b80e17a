using Sift.Data;

namespace Sift.Training.Objectives;

/// <summary>
/// SFTMix batches (docs/METHODS.md, SFTMix, "Batches and pairs"): every micro-batch holds k confident
/// examples followed by k unconfident ones, confident j paired with unconfident j. Pairs are random, or
/// (by length) confident and unconfident examples of similar response length. When the halves differ in
/// size the surplus of the larger one sits out that epoch (a different surplus each epoch).
/// </summary>
public static class SftMixPlanner
{
    public static List<int[]> Plan(IReadOnlyList<TokenizedExample> examples, IReadOnlySet<string> confidentIds, int microBatchSize, bool pairByLength, long seed, int epoch)
    {
        if (microBatchSize < 2 || microBatchSize % 2 != 0)
            throw new SiftException($"SFTMix needs an even per_device_train_batch_size ≥ 2 (half confident, half unconfident), got {microBatchSize}");
        var rng = new Random(unchecked((int)(seed * 1_000_003 + epoch * 7919 + 29)));
        var confident = Enumerable.Range(0, examples.Count).Where(i => confidentIds.Contains(examples[i].Id)).ToArray();
        var unconfident = Enumerable.Range(0, examples.Count).Where(i => !confidentIds.Contains(examples[i].Id)).ToArray();
        if (confident.Length == 0 || unconfident.Length == 0)
            throw new SiftException($"SFTMix needs both halves: {confident.Length} confident and {unconfident.Length} unconfident training examples");
        rng.Shuffle(confident);
        rng.Shuffle(unconfident);
        int pairs = Math.Min(confident.Length, unconfident.Length);
        var c = confident.Take(pairs).ToArray();
        var u = unconfident.Take(pairs).ToArray();
        if (pairByLength)
        {
            c = c.OrderBy(i => examples[i].TrainedCount).ThenBy(i => i).ToArray();
            u = u.OrderBy(i => examples[i].TrainedCount).ThenBy(i => i).ToArray();
        }
        var order = Enumerable.Range(0, pairs).ToArray();
        rng.Shuffle(order);
        int half = microBatchSize / 2;
        var batches = new List<int[]>();
        for (int s = 0; s < pairs; s += half)
        {
            var chosen = order.Skip(s).Take(half).ToArray();
            batches.Add([.. chosen.Select(j => c[j]), .. chosen.Select(j => u[j])]);
        }
        return batches;
    }
}

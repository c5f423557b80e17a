namespace Sift.Data.Batching;

/// <summary>The order in which examples are batched in one epoch, deterministic in (seed, epoch).</summary>
public static class BatchPlanner
{
    /// <summary>A seeded shuffle cut into batches (transformers' default, group_by_length false).</summary>
    public static List<int[]> Random(int count, int batchSize, long seed, int epoch)
    {
        var (order, _) = Shuffled(count, batchSize, seed, epoch);
        return order.Chunk(batchSize).ToList();
    }

    /// <summary>Batches per window within which <see cref="LengthGrouped"/> sorts by length.</summary>
    public const int GroupWindowBatches = 50;

    /// <summary>
    /// Shuffle, then within windows of many batches sort by length so each batch holds similar
    /// lengths (less padding), then shuffle the batches (group_by_length true).
    /// </summary>
    public static List<int[]> LengthGrouped(IReadOnlyList<int> lengths, int batchSize, long seed, int epoch)
    {
        var (order, rng) = Shuffled(lengths.Count, batchSize, seed, epoch);
        var batches = new List<int[]>();
        int window = batchSize * GroupWindowBatches;
        for (int w = 0; w < order.Length; w += window)
        {
            var group = order.Skip(w).Take(window).OrderBy(i => lengths[i]).ThenBy(i => i).ToArray();
            for (int b = 0; b < group.Length; b += batchSize) batches.Add(group.Skip(b).Take(batchSize).ToArray());
        }
        var shuffled = batches.ToArray();
        rng.Shuffle(shuffled);
        return [.. shuffled];
    }

    /// <summary>The example indices shuffled by the epoch's generator, and that generator for what follows.</summary>
    private static (int[] Order, System.Random Rng) Shuffled(int count, int batchSize, long seed, int epoch)
    {
        if (batchSize < 1) throw new SiftException($"batch size must be at least 1, got {batchSize}");
        var rng = new System.Random(unchecked((int)(seed * 1_000_003 + epoch * 7919 + 17)));
        var order = Enumerable.Range(0, count).ToArray();
        rng.Shuffle(order);
        return (order, rng);
    }
}

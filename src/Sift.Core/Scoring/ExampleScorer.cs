using Sift.Data;
using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Scoring;

/// <summary>
/// One teacher-forced forward pass per example under no_grad, in eval conditions (the model has
/// no dropout, and no NEFTune noise is ever added here). Examples are batched by length and
/// right-padded; the LM head runs only on response positions, in fp32 (hidden states and head
/// weight upcast) whatever the weights' dtype, through <see cref="LogitsBuffer"/> as in the fused
/// training loss: one reused logits buffer, NLL = log Σ exp(z − max) − (z_gold − max), greedy hit from
/// the same max. Per-token losses, and the token probabilities exp(−loss), are summed in fp64, in token order.
/// <para>An example's values do not depend on which other examples share its batch: every batch
/// has a canonical shape that depends only on the length bucket (rows padded to a multiple of
/// <see cref="LengthBucket"/> tokens, always <see cref="RowsFor"/> rows, plain causal attention),
/// and the LM head always runs on blocks of exactly LogitRows positions. So a sharded run gives
/// bit-for-bit the values of an unsharded one.</para>
/// </summary>
public static class ExampleScorer
{
    public const int LengthBucket = 16;

    /// <summary>
    /// Scores <paramref name="examples"/> and hands over each batch's results as soon as it is done
    /// (longest examples first, so a batch that does not fit in memory fails early).
    /// </summary>
    public static void Score(CausalLM model, IReadOnlyList<TokenizedExample> examples, ScoringOptions options, Action<IReadOnlyList<ExampleStats>> onBatch)
    {
        options.Validate();
        foreach (var e in examples)
            if (e.TrainedCount == 0) throw new ArgumentException($"example '{e.Id}' has no response tokens; leave it out before scoring");
        using var detached = model.LmHeadWeight.detach();
        using var head = detached.to_type(ScalarType.Float32);
        using var logits = new LogitsBuffer(head, options.LogitRows);
        foreach (var batch in PlanBatches(examples, options))
            onBatch(ScoreBatch(model, logits, batch.Select(i => examples[i]).ToList(), options));
    }

    /// <summary>All results, in the order of <paramref name="examples"/>.</summary>
    public static List<ExampleStats> ScoreAll(CausalLM model, IReadOnlyList<TokenizedExample> examples, ScoringOptions options)
    {
        var byId = new Dictionary<string, ExampleStats>();
        Score(model, examples, options, batch => { foreach (var s in batch) byId[s.Id] = s; });
        return examples.Select(e => byId[e.Id]).ToList();
    }

    /// <summary>The padded row length of an example: its length rounded up to a multiple of <see cref="LengthBucket"/>.</summary>
    public static int PaddedLength(int length) => (length + LengthBucket - 1) / LengthBucket * LengthBucket;

    /// <summary>Rows of every batch whose rows are <paramref name="paddedLength"/> long.</summary>
    public static int RowsFor(int paddedLength, ScoringOptions options) =>
        Math.Clamp(options.MaxBatchTokens / paddedLength, 1, options.BatchSize);

    /// <summary>Batches of indices: sorted by length (longest first, ties by position), one padded length per batch.</summary>
    public static List<int[]> PlanBatches(IReadOnlyList<TokenizedExample> examples, ScoringOptions options)
    {
        var order = Enumerable.Range(0, examples.Count).OrderByDescending(i => examples[i].Length).ThenBy(i => i);
        var batches = new List<int[]>();
        var current = new List<int>();
        int currentLength = 0;
        foreach (var i in order)
        {
            int padded = PaddedLength(examples[i].Length);
            if (current.Count > 0 && (padded != currentLength || current.Count == RowsFor(currentLength, options)))
            {
                batches.Add([.. current]);
                current.Clear();
            }
            currentLength = padded;
            current.Add(i);
        }
        if (current.Count > 0) batches.Add([.. current]);
        return batches;
    }

    private static List<ExampleStats> ScoreBatch(CausalLM model, LogitsBuffer logits, IReadOnlyList<TokenizedExample> examples, ScoringOptions options)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        int t = PaddedLength(examples[0].Length);
        int rows = RowsFor(t, options);
        var ids = new long[rows * t];
        var positions = new List<long>();
        var gold = new List<long>();
        for (int r = 0; r < examples.Count; r++)
        {
            var e = examples[r];
            for (int p = 0; p < e.Length; p++)
            {
                ids[r * t + p] = e.Tokens[p];
                if (p + 1 < e.Length && e.Trained[p + 1])
                {
                    positions.Add(r * t + p);
                    gold.Add(e.Tokens[p + 1]);
                }
            }
        }
        // Plain causal attention is exact for right-padded rows: a real token only attends to the
        // real tokens before it, and its position is its index. Padding and filler rows (ids 0)
        // produce outputs that are never read.
        using var output = model.Forward(tensor(ids, [rows, t]), computeLogits: false);
        var hidden = output.Hidden.reshape(rows * t, -1);

        int n = positions.Count, block = options.LogitRows;
        var tokenNll = new float[n];
        var hits = new bool[n];
        for (int start = 0; start < n; start += block)
        {
            using var chunk = NewDisposeScope();
            int count = Math.Min(block, n - start);
            // Always exactly LogitRows rows (the rest repeat position 0 with gold 0, never read).
            var index = new long[block];
            var target = new long[block];
            positions.CopyTo(start, index, 0, count);
            gold.CopyTo(start, target, 0, count);
            var h = hidden.index_select(0, tensor(index, device: hidden.device)).to_type(ScalarType.Float32);
            var (nll, hit) = LogitsBuffer.PreciseCrossEntropyInPlace(logits.Logits(h), tensor(target, device: hidden.device).unsqueeze(1));
            nll[..count].cpu().data<float>().CopyTo(tokenNll, start);
            hit[..count].cpu().data<bool>().CopyTo(hits, start);
        }

        var results = new List<ExampleStats>(examples.Count);
        int at = 0;
        foreach (var e in examples)
        {
            int count = e.TrainedCount, correct = 0;
            double sum = 0, probabilities = 0;
            for (int k = at; k < at + count; k++)
            {
                sum += tokenNll[k];
                probabilities += Math.Exp(-(double)tokenNll[k]);
                if (hits[k]) correct++;
            }
            results.Add(new ExampleStats(e.Id, count, sum, correct, probabilities));
            at += count;
        }
        return results;
    }
}

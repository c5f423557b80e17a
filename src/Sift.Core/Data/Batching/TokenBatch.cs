using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Data.Batching;

/// <summary>
/// Where one example sits in a batch: its row, first position and length, and <paramref name="Source"/>, its
/// position in the list the batch was made from (packing reorders examples: first fit puts a short later
/// example into an earlier row, so slot order is not input order).
/// </summary>
public sealed record ExampleSlot(string Id, int Row, int Start, int Length, int Source);

/// <summary>
/// Examples collated for the model: input ids [B, T], next-token targets [B, T] (−100 where a
/// position's next token is not trained, and at padding), the attention layout, and where each
/// example sits so objectives can find its response positions.
/// </summary>
public sealed class TokenBatch : IDisposable
{
    public const long Ignore = -100;

    private TokenBatch(Tensor inputIds, Tensor targets, AttentionLayout? layout, IReadOnlyList<ExampleSlot> examples, long trainedTokens, long tokens)
    {
        InputIds = inputIds;
        Targets = targets;
        Layout = layout;
        Examples = examples;
        TrainedTokens = trainedTokens;
        Tokens = tokens;
    }

    public Tensor InputIds { get; }
    public Tensor Targets { get; }
    /// <summary>Null when every row is one unpadded example (plain causal attention).</summary>
    public AttentionLayout? Layout { get; }
    public IReadOnlyList<ExampleSlot> Examples { get; }
    /// <summary>Number of target positions (trained tokens) in the batch.</summary>
    public long TrainedTokens { get; }
    /// <summary>Number of real (non-padding) tokens.</summary>
    public long Tokens { get; }

    /// <summary>One example per row, right-padded with <paramref name="padId"/> to the longest.</summary>
    public static TokenBatch Padded(IReadOnlyList<TokenizedExample> examples, int padId = 0)
    {
        if (examples.Count == 0) throw new ArgumentException("a batch needs at least one example");
        int t = examples.Max(e => e.Length);
        var ids = new long[examples.Count * t];
        var targets = new long[examples.Count * t];
        var mask = new long[examples.Count * t];
        var slots = new List<ExampleSlot>(examples.Count);
        long trained = 0, tokens = 0;
        for (int r = 0; r < examples.Count; r++)
        {
            trained += Fill(examples[r], ids, targets, mask, r * t, segment: 1, t, padId);
            tokens += examples[r].Length;
            slots.Add(new ExampleSlot(examples[r].Id, r, 0, examples[r].Length, r));
        }
        bool ragged = examples.Any(e => e.Length != t);
        var shape = new long[] { examples.Count, t };
        AttentionLayout? layout = null;
        if (ragged)
        {
            using var m = tensor(mask, shape);
            layout = AttentionLayout.Padded(m);
        }
        return new TokenBatch(tensor(ids, shape), tensor(targets, shape), layout, slots, trained, tokens);
    }

    /// <summary>
    /// Several examples per row of <paramref name="rowLength"/> tokens (first fit in the given
    /// order), with block-diagonal causal attention and positions restarting per example. An
    /// example longer than a row gets a row of its own.
    /// </summary>
    public static TokenBatch Packed(IReadOnlyList<TokenizedExample> examples, int rowLength, int padId = 0)
    {
        if (examples.Count == 0) throw new ArgumentException("a batch needs at least one example");
        var rows = new List<List<(TokenizedExample Example, int Source)>>();
        var used = new List<int>();
        for (int i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            int row = used.FindIndex(u => u + e.Length <= rowLength);
            if (row < 0) { rows.Add([]); used.Add(0); row = rows.Count - 1; }
            rows[row].Add((e, i));
            used[row] += e.Length;
        }
        int t = Math.Max(rowLength, examples.Max(e => e.Length));
        var ids = new long[rows.Count * t];
        var targets = new long[rows.Count * t];
        var segments = new long[rows.Count * t];
        var slots = new List<ExampleSlot>();
        long trained = 0, tokens = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            int start = 0, segment = 1;
            foreach (var (e, source) in rows[r])
            {
                trained += Fill(e, ids, targets, segments, r * t + start, segment++, e.Length, padId);
                slots.Add(new ExampleSlot(e.Id, r, start, e.Length, source));
                start += e.Length;
                tokens += e.Length;
            }
            for (int p = start; p < t; p++) { ids[r * t + p] = padId; targets[r * t + p] = Ignore; }
        }
        var shape = new long[] { rows.Count, t };
        using var seg = tensor(segments, shape);
        return new TokenBatch(tensor(ids, shape), tensor(targets, shape), AttentionLayout.Packed(seg), slots, trained, tokens);
    }

    /// <summary>Writes one example at <paramref name="offset"/>; padding up to <paramref name="span"/>; returns its trained-target count.</summary>
    private static long Fill(TokenizedExample e, long[] ids, long[] targets, long[] marks, int offset, int segment, int span, int padId)
    {
        long trained = 0;
        for (int p = 0; p < span; p++)
        {
            bool real = p < e.Length;
            ids[offset + p] = real ? e.Tokens[p] : padId;
            marks[offset + p] = real ? segment : 0;
            bool target = real && p + 1 < e.Length && e.Trained[p + 1];
            targets[offset + p] = target ? e.Tokens[p + 1] : Ignore;
            if (target) trained++;
        }
        return trained;
    }

    public void Dispose()
    {
        InputIds.Dispose();
        Targets.Dispose();
        Layout?.Dispose();
    }
}

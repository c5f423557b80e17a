using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Generation;

/// <summary>
/// Greedy decoding of several prompts at once: the prompts are left-padded to the longest, run
/// through one prefill pass, then every row advances one token per step through a shared KV cache.
/// Padding is masked out of attention and rotary positions count real tokens only, so each row
/// produces the tokens <see cref="TextGenerator"/> produces for that prompt alone. Rows that have
/// finished leave the batch, so a batch costs what its unfinished prompts cost.
/// </summary>
public static class GreedyBatchGenerator
{
    /// <param name="stopAfter">Called with (row, tokens generated so far) after each kept token; true ends that row (e.g. a stop string appeared).</param>
    /// <returns>Per prompt, the generated ids without the stop id that ended it.</returns>
    public static int[][] Generate(CausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts, int maxNewTokens,
        IReadOnlySet<int> stopIds, Func<int, IReadOnlyList<int>, bool>? stopAfter = null)
    {
        if (maxNewTokens < 0) throw new SiftException($"max new tokens must be 0 or more, got {maxNewTokens}");
        int limit = model.Config.MaxPositionEmbeddings;
        for (int r = 0; r < prompts.Count; r++) Check(prompts[r], r, limit, model.Config.VocabSize);
        var generated = prompts.Select(_ => new List<int>()).ToArray();
        if (prompts.Count == 0 || maxNewTokens == 0) return generated.Select(g => g.ToArray()).ToArray();

        int rows = prompts.Count, width = prompts.Max(p => p.Count);
        var ids = new long[rows * width];
        var real = new long[rows * width];
        for (int r = 0; r < rows; r++)
        {
            int pad = width - prompts[r].Count;
            for (int i = 0; i < prompts[r].Count; i++)
            {
                ids[r * width + pad + i] = prompts[r][i];
                real[r * width + pad + i] = 1;
            }
        }

        using var noGrad = no_grad();
        using var cache = new KvCache(model.Config, rows, width + maxNewTokens, model.DType, model.Device);
        using var promptIds = tensor(ids).reshape(rows, width);
        var promptMask = tensor(real).reshape(rows, width);
        var done = new bool[rows];
        var active = Enumerable.Range(0, rows).ToArray(); // the prompt each batch row belongs to
        long[] next = [];
        try
        {
            for (int step = 0; step < maxNewTokens; step++)
            {
                using (var scope = NewDisposeScope())
                {
                    var input = step == 0 ? promptIds : tensor(next).unsqueeze(1);
                    using var layout = step == 0
                        ? AttentionLayout.Padded(promptMask)
                        : AttentionLayout.PaddedStep(cat([promptMask, ones(active.Length, step, ScalarType.Int64)], 1));
                    using var output = model.Forward(input, layout, cache, computeLogits: false);
                    var last = output.Hidden[TensorIndex.Colon, -1];
                    next = model.Logits(last).to_type(ScalarType.Float32).argmax(-1).cpu().data<long>().ToArray();
                }
                for (int b = 0; b < active.Length; b++)
                {
                    int r = active[b];
                    if (done[r]) continue;
                    int id = (int)next[b];
                    if (stopIds.Contains(id)) { done[r] = true; continue; }
                    generated[r].Add(id);
                    if (prompts[r].Count + generated[r].Count >= limit || (stopAfter?.Invoke(r, generated[r]) ?? false)) done[r] = true;
                }
                var keep = Enumerable.Range(0, active.Length).Where(b => !done[active[b]]).ToArray();
                if (keep.Length == 0) break;
                // Finished rows decode on (their tokens ignored) until a quarter of the batch has
                // finished; then the batch, its cache and its mask shrink to the unfinished rows.
                if (4 * (active.Length - keep.Length) >= active.Length)
                {
                    using var rowsKept = tensor(keep.Select(b => (long)b).ToArray());
                    using (var onDevice = rowsKept.to(model.Device)) cache.KeepRows(onDevice);
                    var shrunk = promptMask.index_select(0, rowsKept);
                    promptMask.Dispose();
                    promptMask = shrunk;
                    next = [.. keep.Select(b => next[b])];
                    active = [.. keep.Select(b => active[b])];
                }
            }
        }
        finally { promptMask.Dispose(); }
        return generated.Select(g => g.ToArray()).ToArray();
    }

    private static void Check(IReadOnlyList<int> prompt, int row, int limit, int vocab)
    {
        if (prompt.Count == 0) throw new SiftException($"prompt {row} is empty: give at least one token (most models start with BOS)");
        if (prompt.Count >= limit)
            throw new SiftException($"prompt {row} has {prompt.Count} tokens, at or beyond the model's maximum length {limit}");
        foreach (var id in prompt)
            if (id < 0 || id >= vocab)
                throw new SiftException($"prompt {row}: token id {id} is outside the model's vocabulary (0..{vocab - 1})");
    }
}

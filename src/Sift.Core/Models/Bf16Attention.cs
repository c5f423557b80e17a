using Sift.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// Attention softmax(scale·q·kᵀ + mask)·v for bf16 training on CPU as batched bf16 matrix products (oneDNN,
/// near the bf16 peak) around row kernels (<see cref="Bf16AttentionRows"/>); libtorch's CPU flash
/// attention runs small blocks at about a seventh of that peak and took a fifth of a bf16 training step.
/// The backward recomputes the probabilities from q and k, as flash attention does, so nothing of size
/// T×S is kept between the passes; scores and probabilities are bf16 (rounded once from fp32 sums) while
/// softmax and its gradient run in fp32, and k's and v's gradients are summed over the tiles in fp32. The
/// batch is taken a few rows at a time so that one slice's scores stay under <see cref="MaxScoreElements"/>
/// (a single row over it goes to libtorch's kernel), and causal queries a block at a time (<see cref="Tile"/>).
/// </summary>
internal sealed class Bf16Attention : autograd.SingleTensorFunction<Bf16Attention>
{
    /// <summary>Most elements of one slice's [b, heads, T, S] scores (64 MiB in bf16).</summary>
    public const long MaxScoreElements = 1L << 25;

    public override string Name => nameof(Bf16Attention);

    /// <summary>
    /// Whether <see cref="Run"/> takes q [B, H, T, d], k [B, H, S, d] and the mask: bf16 CPU tensors (<see cref="KernelChoice"/>). Its twin,
    /// elsewhere, is libtorch's scaled_dot_product_attention, as in evaluation.
    /// </summary>
    public static bool Supports(Tensor q, Tensor k, Tensor? mask) =>
        q.dtype == ScalarType.BFloat16 && KernelChoice.CpuKernel(q) && q.shape[1] * q.shape[2] * k.shape[2] <= MaxScoreElements
        && (mask is null || mask.shape[0] == q.shape[0]);

    /// <param name="mask">bool [B, 1, T, S], true where the query may attend; or null.</param>
    /// <param name="causal">Query t sees keys up to t + S − T (with or without a mask).</param>
    /// <param name="maxScoreElements">Slice size (tests make it small).</param>
    public static Tensor Run(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, long maxScoreElements = MaxScoreElements) =>
        apply(q, k, v, mask!, causal, maxScoreElements);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (q, k, v, mask, causal, limit) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], vars[3] as Tensor, (bool)vars[4], (long)vars[5]);
        ctx.save_data("causal", causal);
        ctx.save_data("limit", limit);
        ctx.save_data("masked", mask is not null);
        ctx.save_for_backward(mask is null ? [q, k, v] : [q, k, v, mask]);
        using var scope = NewDisposeScope();
        // The model's q, k and v are [B, T, H, d] in memory; each tile's product would copy them again.
        (q, k, v) = (q.contiguous(), k.contiguous(), v.contiguous());
        var output = empty(q.shape[..^1].Append(v.shape[^1]).ToArray(), q.dtype, q.device);
        foreach (var tile in Tiles(q, k, mask, causal, limit))
            tile.Rows(output).copy_(Probabilities(tile, causal).matmul(tile.Keys(v)));
        return output.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        bool causal = (bool)ctx.get_data("causal"), masked = (bool)ctx.get_data("masked");
        long limit = (long)ctx.get_data("limit");
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (q, k, v, mask) = (saved[0].contiguous(), saved[1].contiguous(), saved[2].contiguous(), masked ? saved[3] : null);
        gradOutput = gradOutput.contiguous();
        var dq = empty_like(q);
        var (dk, dv) = (zeros(k.shape, ScalarType.Float32, k.device), zeros(v.shape, ScalarType.Float32, v.device));
        foreach (var tile in Tiles(q, k, mask, causal, limit))
        {
            var p = Probabilities(tile, causal);
            var dO = tile.Rows(gradOutput);
            tile.Keys(dv).PlusInPlace(p.transpose(-2, -1).matmul(dO));
            var dScores = dO.matmul(tile.Keys(v).transpose(-2, -1)).contiguous();
            Bf16AttentionRows.SoftmaxBackward(p, dScores, Scale(q), causal);
            tile.Rows(dq).copy_(dScores.matmul(tile.Keys(k)));
            tile.Keys(dk).PlusInPlace(dScores.transpose(-2, -1).matmul(tile.Rows(q)));
        }
        return [dq.MoveToOuterDisposeScope(), dk.to_type(k.dtype).MoveToOuterDisposeScope(), dv.to_type(v.dtype).MoveToOuterDisposeScope(), null!, null!, null!];
    }

    /// <summary>softmax(scale·q·kᵀ) over the keys each of the tile's queries may see, bf16 [b, H, queries, keys].</summary>
    private static Tensor Probabilities(Tile tile, bool causal)
    {
        var scores = tile.Rows(tile.Q).matmul(tile.Keys(tile.K).transpose(-2, -1)).contiguous();
        Bf16AttentionRows.Softmax(scores, Scale(tile.Q), causal, tile.Mask);
        return scores;
    }

    private static float Scale(Tensor q) => (float)(1 / Math.Sqrt(q.shape[^1]));

    /// <summary>
    /// Batch rows [Start, Start + Count) (so that their scores stay under the slice limit), queries [From, From + Queries)
    /// and the keys [0, KeyCount) the last of them may see. Causal attention takes the queries
    /// <see cref="QueryBlock"/> at a time: a block's later keys, which no query of it sees, are never multiplied.
    /// </summary>
    private sealed record Tile(Tensor Q, Tensor K, long Start, long Count, long From, long Queries, long KeyCount, Tensor? Mask)
    {
        /// <summary>This tile's batch rows and queries of a [B, H, T, ·] tensor.</summary>
        public Tensor Rows(Tensor x) => x.narrow(0, Start, Count).narrow(2, From, Queries);

        /// <summary>This tile's batch rows and keys of a [B, H, S, ·] tensor.</summary>
        public Tensor Keys(Tensor x) => x.narrow(0, Start, Count).narrow(2, 0, KeyCount);
    }

    /// <summary>Queries per causal tile.</summary>
    public const long QueryBlock = 256;

    private static IEnumerable<Tile> Tiles(Tensor q, Tensor k, Tensor? mask, bool causal, long limit)
    {
        long b = q.shape[0], t = q.shape[2], s = k.shape[2];
        long rows = Math.Max(1, limit / (q.shape[1] * t * s));
        long block = causal ? QueryBlock : t;
        for (long start = 0; start < b; start += rows)
        {
            long n = Math.Min(rows, b - start);
            for (long from = 0; from < t; from += block)
            {
                long queries = Math.Min(block, t - from), keys = causal ? Math.Min(s, from + queries + s - t) : s;
                var tileMask = mask?.narrow(0, start, n).narrow(2, from, queries).narrow(3, 0, keys).contiguous();
                yield return new Tile(q, k, start, n, from, queries, keys, tileMask);
            }
        }
    }

}

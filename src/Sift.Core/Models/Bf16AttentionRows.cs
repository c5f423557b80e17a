using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sift.Native;
using static Sift.Native.Bf16Lanes;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// The row-wise parts of <see cref="Bf16Attention"/>, in place over bf16 [G, T, S] score matrices
/// (G = batch·heads): the masked softmax, and its backward. Each row is computed in fp32 on one thread
/// in a fixed order and rounded once to bf16, so results do not depend on the thread count.
/// </summary>
internal static unsafe class Bf16AttentionRows
{
    private const int Lanes = 8, RowsPerTask = 64;

    /// <summary>
    /// scores ← softmax(scale · scores) over the keys each query may see (key j ≤ t + S − T when causal;
    /// where <paramref name="mask"/>, bool [B, 1, T, S], is true), 0 at the others; a row that may see
    /// no key becomes all 0.
    /// </summary>
    public static void Softmax(Tensor scores, float scale, bool causal, Tensor? mask)
    {
        var (g, t, s) = Shape(scores);
        ushort* p = (ushort*)TensorMemory.Pointer(scores, "attention scores");
        byte* m = mask is null ? null : MaskPointer(mask, g, t, s);
        long perMask = mask is null ? 0 : g / mask.shape[0];
        ForRows(g * t, s, (row, x) =>
        {
            long query = row % t;
            int limit = causal ? (int)Math.Min(s, query + s - t + 1) : (int)s;
            byte* rowMask = m is null ? null : m + (row / t / perMask * t + query) * s;
            SoftmaxRow(p + row * s, (int)s, limit, scale, rowMask, x);
        });
    }

    /// <summary>dProbs ← scale · P ⊙ (dP − Σⱼ Pⱼ·dPⱼ), the gradient of the scaled scores; <paramref name="probs"/> as <see cref="Softmax"/> left it.</summary>
    public static void SoftmaxBackward(Tensor probs, Tensor dProbs, float scale, bool causal)
    {
        var (g, t, s) = Shape(probs);
        if (!dProbs.shape.SequenceEqual(probs.shape)) throw new ArgumentException("probabilities and their gradient differ in shape");
        ushort* p = (ushort*)TensorMemory.Pointer(probs, "attention probabilities");
        ushort* d = (ushort*)TensorMemory.Pointer(dProbs, "attention probability gradients");
        ForRows(g * t, s, (row, _) =>
        {
            int limit = causal ? (int)Math.Min(s, row % t + s - t + 1) : (int)s;
            BackwardRow(p + row * s, d + row * s, (int)s, limit, scale);
        });
    }

    private delegate void RowAction(long row, float* scratch);

    private static void ForRows(long rows, long width, RowAction action)
    {
        long tasks = (rows + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = WorkerThreads.Count }, () => new float[width], (task, _, scratch) =>
        {
            fixed (float* x = scratch)
                for (long row = task * RowsPerTask, end = Math.Min(rows, row + RowsPerTask); row < end; row++) action(row, x);
            return scratch;
        }, _ => { });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxRow(ushort* p, int s, int limit, float scale, byte* mask, float* x)
    {
        var vScale = Vector256.Create(scale);
        var vMax = Vector256.Create(float.NegativeInfinity);
        int j = 0;
        for (; j + 2 * Lanes <= limit; j += 2 * Lanes)
        {
            var (lo, hi) = Widen16(p + j);
            lo *= vScale;
            hi *= vScale;
            if (mask != null) (lo, hi) = (Masked(lo, mask + j), Masked(hi, mask + j + Lanes));
            lo.Store(x + j);
            hi.Store(x + j + Lanes);
            vMax = Vector256.MaxNative(vMax, Vector256.MaxNative(lo, hi));
        }
        float max = float.NegativeInfinity;
        for (int k = 0; k < Lanes; k++) max = MathF.Max(max, vMax[k]);
        for (; j < limit; j++)
        {
            x[j] = mask == null || mask[j] != 0 ? Widen(p[j]) * scale : float.NegativeInfinity;
            max = MathF.Max(max, x[j]);
        }
        if (float.IsNegativeInfinity(max))
        {
            new Span<ushort>(p, s).Clear();
            return;
        }

        var vm = Vector256.Create(max);
        var acc = Vector256<float>.Zero;
        j = 0;
        for (; j + Lanes <= limit; j += Lanes)
        {
            var e = VectorExp.Exp(Vector256.Load(x + j) - vm);
            e.Store(x + j);
            acc += e;
        }
        float sum = Vector256.Sum(acc);
        for (; j < limit; j++) sum += x[j] = MathF.Exp(x[j] - max);

        var inv = Vector256.Create(1f / sum);
        j = 0;
        for (; j + 2 * Lanes <= limit; j += 2 * Lanes)
            Narrow16(Vector256.Load(x + j) * inv, Vector256.Load(x + j + Lanes) * inv, p + j);
        for (; j < limit; j++) p[j] = TensorMemory.Round(x[j] * inv[0]);
        new Span<ushort>(p + limit, s - limit).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow(ushort* p, ushort* d, int s, int limit, float scale)
    {
        var acc = Vector256<float>.Zero;
        int j = 0;
        for (; j + 2 * Lanes <= limit; j += 2 * Lanes)
        {
            var (pl, ph) = Widen16(p + j);
            var (dl, dh) = Widen16(d + j);
            acc = Vector256.FusedMultiplyAdd(pl, dl, Vector256.FusedMultiplyAdd(ph, dh, acc));
        }
        float dot = Vector256.Sum(acc);
        for (; j < limit; j++) dot += Widen(p[j]) * Widen(d[j]);

        var vDot = Vector256.Create(dot);
        var vScale = Vector256.Create(scale);
        j = 0;
        for (; j + 2 * Lanes <= limit; j += 2 * Lanes)
        {
            var (pl, ph) = Widen16(p + j);
            var (dl, dh) = Widen16(d + j);
            Narrow16(vScale * pl * (dl - vDot), vScale * ph * (dh - vDot), d + j);
        }
        for (; j < limit; j++) d[j] = TensorMemory.Round(scale * Widen(p[j]) * (Widen(d[j]) - dot));
        new Span<ushort>(d + limit, s - limit).Clear();
    }

    private static (long G, long T, long S) Shape(Tensor scores)
    {
        if (scores.dtype != ScalarType.BFloat16 || scores.dim() < 3) throw new ArgumentException("expected bf16 scores [.., T, S]", nameof(scores));
        long t = scores.shape[^2], s = scores.shape[^1];
        return (scores.numel() / (t * s), t, s);
    }

    private static byte* MaskPointer(Tensor mask, long g, long t, long s)
    {
        if (mask.dtype != ScalarType.Bool || !mask.is_contiguous() || mask.dim() != 4 || mask.shape[1] != 1 || mask.shape[2] != t || mask.shape[3] != s || g % mask.shape[0] != 0)
            throw new ArgumentException($"expected a contiguous bool mask [B, 1, {t}, {s}]", nameof(mask));
        return (byte*)TensorMemory.BoolPointer(mask, "attention mask");
    }

    /// <summary>x where the 8 mask bytes are true, −∞ elsewhere.</summary>
    private static Vector256<float> Masked(Vector256<float> x, byte* mask)
    {
        var allowed = Vector256.Create(mask[0], mask[1], mask[2], mask[3], mask[4], mask[5], mask[6], mask[7]);
        return Vector256.ConditionalSelect(Vector256.Equals(allowed, Vector256<int>.Zero).AsSingle(), Vector256.Create(float.NegativeInfinity), x);
    }
}

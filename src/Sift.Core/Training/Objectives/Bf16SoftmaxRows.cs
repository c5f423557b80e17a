using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sift.Native;
using static Sift.Native.Bf16Lanes;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>
/// Cross entropy of bf16 logits rows, and its gradient written over them in bf16, for the fused loss
/// of a bf16 model. Done with libtorch ops this takes about ten passes over a chunk of logits (a copy
/// to fp32, max, subtract, exp, sum, scale, scatter, a copy back to bf16...), each streaming 32–64 MiB,
/// slower together than the chunk's product with the head; here each row (32K logits: 64 KiB, plus its
/// exponentials, 128 KiB) stays in the core's cache from the first read to the last write. The arithmetic
/// is the fp32 path's, in fp32 from the bf16 logits: z − max, exp, the sum, lse = log(sum) + max,
/// NLL = lse − z_gold, and scale·softmax − scale at the gold token, rounded once to bf16. Sums run
/// per row in a fixed order on one thread, so results do not depend on the thread count. The loops are
/// compiled optimized from the first call (tier-0 code runs them several times slower, for a whole step).
/// </summary>
internal static unsafe class Bf16SoftmaxRows
{
    private const int Lanes = 8; // Vector256<float>; two per 16 bf16 values

    /// <param name="logits">Contiguous CPU bf16 [n, V]; with <paramref name="gradScale"/>, overwritten by bf16(gradScale·(softmax(z) − onehot(gold))).</param>
    /// <param name="gold">The n gold token ids.</param>
    /// <param name="nll">Receives each row's NLL (lse − z_gold).</param>
    /// <param name="correct">Receives whether the row's first largest logit is the gold token's (greedy hit).</param>
    public static void Run(Tensor logits, long[] gold, float? gradScale, float[] nll, bool[] correct)
    {
        if (logits.dtype != ScalarType.BFloat16 || logits.dim() != 2) throw new ArgumentException("expected bf16 logits [n, V]", nameof(logits));
        int n = (int)logits.shape[0], v = (int)logits.shape[1];
        if (gold.Length != n || gold.Any(y => y < 0 || y >= v)) throw new ArgumentException($"expected {n} gold ids in [0, {v})", nameof(gold));
        ushort* z = (ushort*)TensorMemory.Pointer(logits, "bf16 cross entropy");
        var options = new ParallelOptions { MaxDegreeOfParallelism = WorkerThreads.Count };
        Parallel.For(0, n, options, () => new float[v], (r, _, scratch) =>
        {
            fixed (float* e = scratch)
            {
                var (rowNll, hit) = Row(z + (long)r * v, v, gold[r], gradScale, e);
                nll[r] = rowNll;
                correct[r] = hit;
            }
            return scratch;
        }, _ => { });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float Nll, bool Hit) Row(ushort* z, int v, long gold, float? gradScale, float* e)
    {
        float max = Max(z, v);
        int first = FirstIndexOf(z, v, max);
        float sum = ExpSum(z, v, max, e);
        float nll = MathF.Log(sum) + max - Widen(z[gold]);
        if (gradScale is float scale)
        {
            float factor = 1f / sum * scale;
            float atGold = e[gold] * factor - scale;
            ScaleToBf16(e, factor, z, v);
            z[gold] = TensorMemory.Round(atGold);
        }
        return (nll, first == gold);
    }

    /// <summary>z[i] = bf16(e[i]·factor), rounded to nearest even as <see cref="TensorMemory.Narrow"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleToBf16(float* e, float factor, ushort* z, int v)
    {
        var f = Vector256.Create(factor);
        int i = 0;
        for (; i + 2 * Lanes <= v; i += 2 * Lanes)
            Narrow16(Vector256.Load(e + i) * f, Vector256.Load(e + i + Lanes) * f, z + i);
        for (; i < v; i++) z[i] = TensorMemory.Round(e[i] * factor);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Max(ushort* z, int v)
    {
        var m = Vector256.Create(float.NegativeInfinity);
        int i = 0;
        for (; i + 2 * Lanes <= v; i += 2 * Lanes)
        {
            var (lo, hi) = Widen16(z + i);
            m = Vector256.MaxNative(m, Vector256.MaxNative(lo, hi));
        }
        float max = float.NegativeInfinity;
        for (int k = 0; k < Lanes; k++) max = MathF.Max(max, m[k]);
        for (; i < v; i++) max = MathF.Max(max, Widen(z[i]));
        return max;
    }

    /// <summary>The first index holding <paramref name="value"/> (torch.max's index), or −1 (a NaN row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FirstIndexOf(ushort* z, int v, float value)
    {
        var target = Vector256.Create(value);
        int i = 0;
        for (; i + 2 * Lanes <= v; i += 2 * Lanes)
        {
            var (lo, hi) = Widen16(z + i);
            uint bits = Vector256.Equals(lo, target).ExtractMostSignificantBits() | (Vector256.Equals(hi, target).ExtractMostSignificantBits() << Lanes);
            if (bits != 0) return i + BitOperations.TrailingZeroCount(bits);
        }
        for (; i < v; i++) if (Widen(z[i]) == value) return i;
        return -1;
    }

    /// <summary>Σ exp(z − max), leaving each exp(z − max) in <paramref name="e"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ExpSum(ushort* z, int v, float max, float* e)
    {
        var m = Vector256.Create(max);
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 2 * Lanes <= v; i += 2 * Lanes)
        {
            var (lo, hi) = Widen16(z + i);
            var a = VectorExp.Exp(lo - m);
            var b = VectorExp.Exp(hi - m);
            a.Store(e + i);
            b.Store(e + i + Lanes);
            acc += a + b;
        }
        float sum = Vector256.Sum(acc);
        for (; i < v; i++) sum += e[i] = MathF.Exp(Widen(z[i]) - max);
        return sum;
    }
}

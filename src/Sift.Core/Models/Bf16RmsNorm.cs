using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sift.Native;
using TorchSharp;
using static Sift.Native.Bf16Lanes;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// RMSNorm of bf16 rows as one pass forward and one backward, with Llama's roundings: n = bf16(x·r),
/// y = bf16(w·n), r = 1/√(mean(x²) + ε) in fp32. Through libtorch ops the same norm copies x to fp32, then
/// squares, averages, scales, rounds and multiplies in separate passes, and keeps several fp32 copies of
/// x for the backward; here the backward recomputes r from x. Its gradient is computed in fp32 and rounded
/// once; the weight's gradient is summed in fp32 over fixed blocks of rows, so it does not depend on the
/// thread count.
/// </summary>
internal sealed unsafe class Bf16RmsNorm : autograd.SingleTensorFunction<Bf16RmsNorm>
{
    private const int Lanes = 8, RowsPerBlock = 64;

    public override string Name => nameof(Bf16RmsNorm);

    /// <summary>Whether this kernel takes x and the weight: bf16 CPU tensors (<see cref="KernelChoice"/>); its twin is <see cref="RmsNorm"/>'s libtorch path.</summary>
    public static bool Supports(Tensor x, Tensor weight) =>
        x.dtype == ScalarType.BFloat16 && weight.dtype == ScalarType.BFloat16 && KernelChoice.CpuKernel(x) && KernelChoice.CpuKernel(weight);

    public static Tensor Run(Tensor x, Tensor weight, double eps) => apply(x, weight, eps);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, weight, eps) = ((Tensor)vars[0], (Tensor)vars[1], (double)vars[2]);
        ctx.save_data("eps", eps);
        ctx.save_for_backward([x, weight]);
        using var scope = NewDisposeScope();
        var input = x.contiguous();
        var output = empty_like(input);
        var w = weight.contiguous().to_type(ScalarType.Float32);
        long d = input.shape[^1], rows = input.numel() / d;
        ushort* xs = (ushort*)TensorMemory.Pointer(input, "RMSNorm input"), ys = (ushort*)TensorMemory.Pointer(output, "RMSNorm output");
        float* ws = (float*)TensorMemory.Pointer(w, "RMSNorm weight");
        ForBlocks(rows, d, (block, scratch) =>
        {
            for (long r = block * RowsPerBlock, end = Math.Min(rows, r + RowsPerBlock); r < end; r++)
                ForwardRow(xs + r * d, ws, ys + r * d, (int)d, (float)eps);
        });
        return output.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        double eps = (double)ctx.get_data("eps");
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (x, weight) = (saved[0].contiguous(), saved[1]);
        var dy = gradOutput.contiguous();
        var dx = empty_like(x);
        var w = weight.contiguous().to_type(ScalarType.Float32);
        long d = x.shape[^1], rows = x.numel() / d, blocks = (rows + RowsPerBlock - 1) / RowsPerBlock;
        var partial = zeros([blocks, d], ScalarType.Float32);
        ushort* xs = (ushort*)TensorMemory.Pointer(x, "RMSNorm input"), dys = (ushort*)TensorMemory.Pointer(dy, "RMSNorm output gradient");
        ushort* dxs = (ushort*)TensorMemory.Pointer(dx, "RMSNorm input gradient");
        float* ws = (float*)TensorMemory.Pointer(w, "RMSNorm weight"), dws = (float*)TensorMemory.Pointer(partial, "RMSNorm weight gradient");
        ForBlocks(rows, d, (block, scratch) =>
        {
            for (long r = block * RowsPerBlock, end = Math.Min(rows, r + RowsPerBlock); r < end; r++)
                BackwardRow(xs + r * d, dys + r * d, ws, dxs + r * d, dws + block * d, scratch, (int)d, (float)eps);
        });
        var sums = new float[d];
        for (long b = 0; b < blocks; b++)
            for (int j = 0; j < d; j++) sums[j] += dws[b * d + j];
        var dw = tensor(sums).to_type(weight.dtype);
        return [dx.MoveToOuterDisposeScope(), dw.MoveToOuterDisposeScope(), null!];
    }

    private delegate void BlockAction(long block, float* scratch);

    private static void ForBlocks(long rows, long d, BlockAction action) =>
        Parallel.For(0, (rows + RowsPerBlock - 1) / RowsPerBlock, new ParallelOptions { MaxDegreeOfParallelism = WorkerThreads.Count }, () => new float[d], (block, _, scratch) =>
        {
            fixed (float* s = scratch) action(block, s);
            return scratch;
        }, _ => { });

    /// <summary>1/√(Σx²/d + ε) in fp32, the sum in vector lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float InverseRms(ushort* x, int d, float eps)
    {
        var acc = Vector256<float>.Zero;
        int j = 0;
        for (; j + 2 * Lanes <= d; j += 2 * Lanes)
        {
            var (lo, hi) = Widen16(x + j);
            acc = Vector256.FusedMultiplyAdd(lo, lo, Vector256.FusedMultiplyAdd(hi, hi, acc));
        }
        float ss = Vector256.Sum(acc);
        for (; j < d; j++) ss += Widen(x[j]) * Widen(x[j]);
        return 1f / MathF.Sqrt(ss / d + eps);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRow(ushort* x, float* w, ushort* y, int d, float eps)
    {
        float r = InverseRms(x, d, eps);
        var vr = Vector256.Create(r);
        int j = 0;
        for (; j + 2 * Lanes <= d; j += 2 * Lanes)
        {
            var (lo, hi) = Widen16(x + j);
            var (nlo, nhi) = (RoundTrip(lo * vr), RoundTrip(hi * vr));
            Narrow16(Vector256.Load(w + j) * nlo, Vector256.Load(w + j + Lanes) * nhi, y + j);
        }
        for (; j < d; j++) y[j] = TensorMemory.Round(w[j] * Widen(TensorMemory.Round(Widen(x[j]) * r)));
    }

    /// <summary>
    /// dx = r·g − (r³/d)·x·Σ g·x with g = dy·w, and the weight gradient dy·n (n = bf16(x·r), as the forward
    /// used it) added to the block's sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow(ushort* x, ushort* dy, float* w, ushort* dx, float* dw, float* g, int d, float eps)
    {
        float r = InverseRms(x, d, eps);
        var vr = Vector256.Create(r);
        var acc = Vector256<float>.Zero;
        int j = 0;
        for (; j + 2 * Lanes <= d; j += 2 * Lanes)
        {
            var (xlo, xhi) = Widen16(x + j);
            var (dlo, dhi) = Widen16(dy + j);
            var (glo, ghi) = (dlo * Vector256.Load(w + j), dhi * Vector256.Load(w + j + Lanes));
            glo.Store(g + j);
            ghi.Store(g + j + Lanes);
            acc = Vector256.FusedMultiplyAdd(glo, xlo, Vector256.FusedMultiplyAdd(ghi, xhi, acc));
            var (nlo, nhi) = (RoundTrip(xlo * vr), RoundTrip(xhi * vr));
            Vector256.FusedMultiplyAdd(dlo, nlo, Vector256.Load(dw + j)).Store(dw + j);
            Vector256.FusedMultiplyAdd(dhi, nhi, Vector256.Load(dw + j + Lanes)).Store(dw + j + Lanes);
        }
        float gx = Vector256.Sum(acc);
        for (; j < d; j++)
        {
            float xj = Widen(x[j]), dyj = Widen(dy[j]);
            g[j] = dyj * w[j];
            gx += g[j] * xj;
            dw[j] += dyj * Widen(TensorMemory.Round(xj * r));
        }

        float c = r * r * r / d * gx;
        var vc = Vector256.Create(c);
        j = 0;
        for (; j + 2 * Lanes <= d; j += 2 * Lanes)
        {
            var (xlo, xhi) = Widen16(x + j);
            Narrow16(vr * Vector256.Load(g + j) - vc * xlo, vr * Vector256.Load(g + j + Lanes) - vc * xhi, dx + j);
        }
        for (; j < d; j++) dx[j] = TensorMemory.Round(r * g[j] - c * Widen(x[j]));
    }
}

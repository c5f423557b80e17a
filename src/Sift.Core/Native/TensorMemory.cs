using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Sift.Native;

/// <summary>
/// Raw access to the storage of contiguous CPU tensors, for the few kernels Sift runs in C# (the
/// fused optimizer step), and bfloat16 ⇄ float32 conversion that rounds as libtorch does.
/// </summary>
public static unsafe class TensorMemory
{
    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>The address of element 0; the tensor must be a contiguous CPU float32 or bfloat16 tensor.</summary>
    public static void* Pointer(Tensor t, string what)
    {
        if (t.device_type != TorchSharp.DeviceType.CPU || !t.is_contiguous() || t.dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new InvalidOperationException($"{what}: expected a contiguous CPU float32 or bfloat16 tensor, got {t.dtype} on {t.device}{(t.is_contiguous() ? "" : ", not contiguous")}");
        var p = THSTensor_data(t.Handle);
        if (p == IntPtr.Zero && t.numel() > 0) throw new InvalidOperationException($"{what}: libtorch gave no data pointer");
        return (void*)p;
    }

    /// <summary>The address of element 0 of a contiguous CPU bool tensor (one byte per element, 0 or 1).</summary>
    public static void* BoolPointer(Tensor t, string what)
    {
        if (t.device_type != TorchSharp.DeviceType.CPU || !t.is_contiguous() || t.dtype != ScalarType.Bool)
            throw new InvalidOperationException($"{what}: expected a contiguous CPU bool tensor, got {t.dtype} on {t.device}{(t.is_contiguous() ? "" : ", not contiguous")}");
        var p = THSTensor_data(t.Handle);
        if (p == IntPtr.Zero && t.numel() > 0) throw new InvalidOperationException($"{what}: libtorch gave no data pointer");
        return (void*)p;
    }

    /// <summary>dst[i] = float(src[i]) for bfloat16 bit patterns.</summary>
    public static void Widen(ushort* src, float* dst, int n)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<ushort>.Count;
            for (; i + w <= n; i += w)
            {
                Vector.Widen(Vector.Load(src + i), out var lo, out var hi);
                Vector.Store(Vector.AsVectorSingle(lo << 16), dst + i);
                Vector.Store(Vector.AsVectorSingle(hi << 16), dst + i + w / 2);
            }
        }
        for (; i < n; i++) dst[i] = BitConverter.Int32BitsToSingle(src[i] << 16);
    }

    /// <summary>dst[i] = bfloat16(src[i]), round to nearest even, NaN to 0x7FC0 (c10::BFloat16's rule).</summary>
    public static void Narrow(float* src, ushort* dst, int n)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<uint>.Count;
            var bias = new Vector<uint>(0x7FFF);
            var nan = new Vector<uint>(0x7FC0);
            for (; i + 2 * w <= n; i += 2 * w)
                Vector.Store(Vector.Narrow(Round(Vector.Load(src + i), bias, nan), Round(Vector.Load(src + i + w), bias, nan)), dst + i);
        }
        for (; i < n; i++) dst[i] = Round(src[i]);
    }

    private static Vector<uint> Round(Vector<float> x, Vector<uint> bias, Vector<uint> nan)
    {
        var bits = Vector.AsVectorUInt32(x);
        var rounded = (bits + bias + ((bits >> 16) & Vector<uint>.One)) >> 16;
        return Vector.ConditionalSelect(Vector.AsVectorUInt32(Vector.Equals(x, x)), rounded, nan);
    }

    public static ushort Round(float x)
    {
        if (float.IsNaN(x)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(x);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    private const int DotBlock = 8192;

    /// <summary>
    /// (Σ a·b, Σ a², Σ b²) over two contiguous CPU float32 tensors of one length, in double: each block of
    /// 8192 elements summed on one thread, the blocks' sums added in order, so the result is the same at any
    /// thread count (libtorch's dot and sum split their work by the thread count and round accordingly).
    /// </summary>
    public static (double Ab, double Aa, double Bb) Dots(Tensor a, Tensor b)
    {
        long n = a.numel();
        if (b.numel() != n) throw new ArgumentException($"Dots: {n} and {b.numel()} elements");
        if (a.dtype != ScalarType.Float32 || b.dtype != ScalarType.Float32) throw new ArgumentException("Dots: expected float32 tensors");
        float* x = (float*)Pointer(a, "dot"), y = (float*)Pointer(b, "dot");
        int blocks = (int)((n + DotBlock - 1) / DotBlock);
        var sums = new (double Ab, double Aa, double Bb)[blocks];
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = WorkerThreads.Count }, k =>
        {
            long start = (long)k * DotBlock;
            sums[k] = BlockDots(x + start, y + start, (int)Math.Min(DotBlock, n - start));
        });
        (double ab, double aa, double bb) = (0, 0, 0);
        foreach (var s in sums) (ab, aa, bb) = (ab + s.Ab, aa + s.Aa, bb + s.Bb);
        return (ab, aa, bb);
    }

    /// <summary>One block's sums: fp32 products summed in fp32 vector lanes over 256 elements at a time, each such partial added in double.</summary>
    private static (double Ab, double Aa, double Bb) BlockDots(float* x, float* y, int n)
    {
        const int Run = 256;
        int i = 0;
        Vector<double> ab = Vector<double>.Zero, aa = Vector<double>.Zero, bb = Vector<double>.Zero;
        if (Vector.IsHardwareAccelerated)
            for (; i + Run <= n; i += Run)
            {
                Vector<float> fab = Vector<float>.Zero, faa = Vector<float>.Zero, fbb = Vector<float>.Zero;
                for (int j = i; j < i + Run; j += Vector<float>.Count)
                {
                    var (xj, yj) = (Vector.Load(x + j), Vector.Load(y + j));
                    fab = Vector.FusedMultiplyAdd(xj, yj, fab);
                    faa = Vector.FusedMultiplyAdd(xj, xj, faa);
                    fbb = Vector.FusedMultiplyAdd(yj, yj, fbb);
                }
                ab += Widened(fab);
                aa += Widened(faa);
                bb += Widened(fbb);
            }
        (double sab, double saa, double sbb) = (Vector.Sum(ab), Vector.Sum(aa), Vector.Sum(bb));
        for (; i < n; i++) (sab, saa, sbb) = (sab + (double)x[i] * y[i], saa + (double)x[i] * x[i], sbb + (double)y[i] * y[i]);
        return (sab, saa, sbb);
    }

    private static Vector<double> Widened(Vector<float> v)
    {
        Vector.Widen(v, out var lo, out var hi);
        return lo + hi;
    }
}

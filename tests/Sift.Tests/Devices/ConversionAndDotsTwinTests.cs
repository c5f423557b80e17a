using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Tests.Devices;

/// <summary>
/// The bf16 ⇄ fp32 conversion the CPU kernels use (<see cref="TensorMemory"/>) against libtorch's to_type, its twin,
/// bit for bit; and the gradient dot products (<see cref="TensorMemory.Dots"/>) against <see cref="DotsTwin"/>.
/// </summary>
public unsafe class ConversionAndDotsTwinTests
{
    [Fact]
    public void WideningEveryBf16ValueGivesLibtorchsBits()
    {
        var patterns = Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();
        using var bf16 = BitsAsBf16(patterns);
        using var twin = bf16.to_type(ScalarType.Float32);
        var ours = new float[patterns.Length];
        fixed (ushort* src = patterns)
        fixed (float* dst = ours)
            TensorMemory.Widen(src, dst, patterns.Length);
        var expected = new ReadOnlySpan<uint>(TensorMemory.Pointer(twin, "test"), patterns.Length).ToArray();
        Assert.Equal(expected, ours.Select(BitConverter.SingleToUInt32Bits).ToArray()); // NaN payloads included
    }

    [Fact]
    public void NarrowingRoundsToNearestEvenAsLibtorchDoes()
    {
        // For every bf16 value, fp32 values at and around its rounding boundaries: exact (low half 0), just under
        // a tie, the tie itself (half to even, both parities), just over, the largest low half; the specials
        // (±0, ±∞, NaNs, subnormals, the largest float, which rounds to ∞) are among them.
        uint[] lows = [0x0000, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x1234];
        var values = Enumerable.Range(0, 1 << 16).SelectMany(hi => lows.Select(lo => BitConverter.UInt32BitsToSingle(((uint)hi << 16) | lo))).ToArray();
        using var fp32 = tensor(values);
        using var twin = fp32.to_type(ScalarType.BFloat16);
        var ours = new ushort[values.Length];
        fixed (float* src = values)
        fixed (ushort* dst = ours)
            TensorMemory.Narrow(src, dst, values.Length);
        var expected = new ReadOnlySpan<ushort>(TensorMemory.Pointer(twin, "test"), values.Length).ToArray();
        // A NaN stays a NaN, but not the same one: libtorch's vector path writes 0xFFFF, its scalar path and Sift 0x7FC0.
        static bool IsNaN(ushort bits) => (bits & 0x7F80) == 0x7F80 && (bits & 0x7F) != 0;
        for (int i = 0; i < values.Length; i++)
            Assert.True(float.IsNaN(values[i]) ? IsNaN(expected[i]) && IsNaN(ours[i]) : expected[i] == ours[i],
                $"{values[i]:R} (0x{BitConverter.SingleToUInt32Bits(values[i]):X8}): libtorch 0x{expected[i]:X4}, Sift 0x{ours[i]:X4}");
    }

    [Fact]
    public void DotsAgreeWithTheTwinWithinTheKernelsFp32Partials()
    {
        var g = new Generator(5);
        using var a = randn([50_003], generator: g);
        using var b = (randn([50_003], generator: g) * 3).add_(a); // correlated, so Σ a·b is far from 0
        var (ab, aa, bb) = TensorMemory.Dots(a, b);
        (double tab, double taa, double tbb) twin;
        using (KernelChoice.TwinsOnly()) twin = DotsTwin.Dots(a, b);
        // The kernel adds runs of 256 fp32 products in fp32 lanes (at most 256/8 = 32 terms per lane, products
        // exact under FMA), then in double; the twin sums exact products in double. So they differ by
        // Fp32Sum(32)·Σ|terms| at most (the double roundings are 2⁻²⁹ times smaller).
        double Magnitude(Tensor x, Tensor y) => (x * y).abs().to_type(ScalarType.Float64).sum().item<double>();
        Assert.Equal(twin.tab, ab, Tolerances.Fp32Sum(32) * Magnitude(a, b));
        Assert.Equal(twin.taa, aa, Tolerances.Fp32Sum(32) * Magnitude(a, a));
        Assert.Equal(twin.tbb, bb, Tolerances.Fp32Sum(32) * Magnitude(b, b));
        Assert.NotEqual(0, ab);
    }

    private static Tensor BitsAsBf16(ushort[] patterns)
    {
        var t = empty(patterns.Length, ScalarType.BFloat16);
        patterns.CopyTo(new Span<ushort>(TensorMemory.Pointer(t, "test"), patterns.Length));
        return t;
    }
}

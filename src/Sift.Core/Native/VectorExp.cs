using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sift.Native;

/// <summary>
/// exp of eight fp32 values in fp32 arithmetic: Cephes' expf (x = n·ln 2 + r with |r| ≤ ln 2 / 2, ln 2
/// split in two for an exact reduction, a degree-6 polynomial for e^r, then 2ⁿ by exponent bits; fused
/// multiply-adds, so results are the same on every machine with FMA and slower, emulated, without), within
/// 2 ulp of the exact value for −87.3 ≤ x ≤ 88. Below that (results under the smallest normal float) it
/// gives 0, above it +∞ (also for the few finite results between e^88 and the largest float), NaN for NaN. .NET's Vector256.Exp(float) computes in double
/// and is several times slower; a softmax over a 32K vocabulary spends most of its time here.
/// </summary>
public static class VectorExp
{
    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float Lowest = -87.3f, Highest = 88f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var clamped = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(Lowest)), Vector256.Create(Highest));
        var n = Vector256.Round(clamped * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), clamped));
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1.9875691500E-4f), r, Vector256.Create(1.3981999507E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894E-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459E-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201E-1f));
        var er = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var twoN = (Vector256.ConvertToInt32Native(n) + Vector256.Create(127) << 23).AsSingle();
        var result = er * twoN;
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(Lowest)), Vector256<float>.Zero, result);
        result = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(Highest)), Vector256.Create(float.PositiveInfinity), result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sift.Native;

/// <summary>bfloat16 bit patterns to and from fp32 vector lanes, rounding as <see cref="TensorMemory.Narrow"/> does.</summary>
internal static unsafe class Bf16Lanes
{
    /// <summary>16 bf16 values as two vectors of 8 floats, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Lo, Vector256<float> Hi) Widen16(ushort* p)
    {
        var (lo, hi) = Vector256.Widen(Vector256.Load(p));
        return ((lo << 16).AsSingle(), (hi << 16).AsSingle());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Widen(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Stores bf16(lo) then bf16(hi), 16 values, at <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Narrow16(Vector256<float> lo, Vector256<float> hi, ushort* p) => Vector256.Narrow(Rounded(lo), Rounded(hi)).Store(p);

    /// <summary>Each value rounded to the nearest bf16, as an fp32 value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundTrip(Vector256<float> x) => (Rounded(x) << 16).AsSingle();

    /// <summary>Round to nearest even in the upper 16 bits, NaN to 0x7FC0 (c10::BFloat16's rule).</summary>
    private static Vector256<uint> Rounded(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) >> 16;
        return Vector256.ConditionalSelect(Vector256.Equals(x, x).AsUInt32(), rounded, Vector256.Create(0x7FC0u));
    }
}

using TorchSharp;
using static TorchSharp.torch;

namespace Sift.Native;

/// <summary>
/// Numbers handed to libtorch, kept alive while it reads them. TorchSharp turns a bare number
/// (<c>x + 1e-6</c>, <c>x.mul_(0.5)</c>, and the alpha of 1 that <c>a + b</c> passes for you) into a
/// Scalar object that nothing references once its handle is passed on; a garbage collection at that
/// moment lets the finalizer thread free it while libtorch is still reading it (a crash such as
/// "INTERNAL ASSERT FAILED at c10/core/Scalar.h"; `sift-bench lifetime-race` reproduces it under
/// SIFT_GC_STRESS=1). So Sift never passes a bare number: constants are the static fields here,
/// never finalized, and any other value is made with <see cref="Hold(double)"/> in a using
/// declaration, which keeps it alive to the end of the block. ScalarLifetimeTests enforces this.
/// </summary>
public static class Scalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
    public static readonly Scalar Two = 2.ToScalar();
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();

    /// <summary>A floating-point scalar; dispose it (a using declaration) after the call that reads it.</summary>
    public static Scalar Hold(double value) => value.ToScalar();

    /// <summary>An integer scalar (keeps integer tensors integer); dispose it after the call that reads it.</summary>
    public static Scalar Hold(long value) => value.ToScalar();

    /// <summary>a + b (TorchSharp's operator passes a temporary alpha).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a += b in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>value − t, computed as TorchSharp's operator does (−t + value), so results are unchanged.</summary>
    public static Tensor SubtractedFrom(this Tensor t, double value)
    {
        using var v = Hold(value);
        using var negated = t.negative();
        return negated.add(v, One);
    }

    /// <summary>value / t, computed as TorchSharp's operator does (reciprocal(t) · value), so results are unchanged.</summary>
    public static Tensor Into(this Tensor t, double value)
    {
        using var v = Hold(value);
        using var reciprocal = t.reciprocal();
        return reciprocal.mul(v);
    }

    /// <summary>Integers start, start+1, …, stop−1 (torch.arange).</summary>
    public static Tensor Range(long start, long stop, ScalarType dtype, Device? device = null)
    {
        using var from = Hold(start);
        using var to = Hold(stop);
        return arange(from, to, One, dtype, device);
    }
}

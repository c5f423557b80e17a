using static TorchSharp.torch;

namespace Sift.Native;

/// <summary>
/// <see cref="TensorMemory.Dots"/> in libtorch operations, for tensors on any device (<see cref="KernelChoice"/>):
/// the same three sums, in double throughout and in libtorch's order (the kernel sums runs of 256 products in fp32
/// vector lanes, then adds those in double in fixed blocks).
/// </summary>
public static class DotsTwin
{
    public static (double Ab, double Aa, double Bb) Dots(Tensor a, Tensor b)
    {
        if (b.numel() != a.numel()) throw new ArgumentException($"Dots: {a.numel()} and {b.numel()} elements");
        using var scope = NewDisposeScope();
        var x = a.reshape(-1).to_type(ScalarType.Float64);
        var y = b.reshape(-1).to_type(ScalarType.Float64);
        var sums = stack([x.dot(y), x.dot(x), y.dot(y)]).cpu().data<double>().ToArray();
        return (sums[0], sums[1], sums[2]);
    }
}

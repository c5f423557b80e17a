using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Training;

/// <summary>The numbers of one AdamW step, in fp32 as <see cref="FusedAdamW"/> and its twin use them.</summary>
internal readonly record struct AdamWCoefficients(float Scale, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float SqrtBc2, float Eps, float StepSize);

/// <summary>
/// <see cref="FusedAdamW"/> in libtorch operations, for parameters on any device (<see cref="KernelChoice"/>).
/// The step is the kernel's arithmetic in the kernel's order, one fp32 operation per rounding, with bf16
/// storage widened and rounded to nearest even as the kernel does. Every operation rounds as the kernel's does
/// except libtorch's CPU square root (MKL's vector sqrt, within 1 ulp; CUDA's is correctly rounded), so on the
/// CPU the moments come out bit for bit and the weights within a few ulps. Each operation is a pass over the
/// parameter, more memory traffic than the kernel's one pass, which a GPU's bandwidth absorbs. The gradient
/// norm sums the squares in double like the kernel, in libtorch's order instead of the kernel's fixed chunks.
/// </summary>
internal static class FusedAdamWTwin
{
    public static double GradientNorm(IEnumerable<Tensor?> gradients)
    {
        using var scope = NewDisposeScope();
        Tensor? total = null;
        foreach (var g in gradients.OfType<Tensor>())
        {
            var g64 = g.to_type(ScalarType.Float64);
            var squares = g64.mul(g64).sum();
            total = total is null ? squares : total.Plus(squares);
        }
        return total is null ? 0 : Math.Sqrt(total.item<double>());
    }

    /// <summary>One step of <paramref name="entry"/>: its master, moments and (for a separate fp32 master) its model copy updated, its gradient zeroed.</summary>
    public static void Step(FusedAdamW.Entry entry, Tensor expAvg, Tensor expAvgSq, float decay, AdamWCoefficients k)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var scale = Scalars.Hold(k.Scale);
        using var beta1 = Scalars.Hold(k.Beta1);
        using var oneMinusBeta1 = Scalars.Hold(k.OneMinusBeta1);
        using var beta2 = Scalars.Hold(k.Beta2);
        using var oneMinusBeta2 = Scalars.Hold(k.OneMinusBeta2);
        using var sqrtBc2 = Scalars.Hold(k.SqrtBc2);
        using var eps = Scalars.Hold(k.Eps);
        using var stepSize = Scalars.Hold(k.StepSize);
        using var decayFactor = Scalars.Hold(decay);
        var grad = entry.Model.grad;
        var g = (grad is null ? zeros_like(entry.Master, ScalarType.Float32) : grad.to_type(ScalarType.Float32)).mul(scale);
        var m = expAvg.to_type(ScalarType.Float32).mul(beta1).Plus(g.mul(oneMinusBeta1));
        var v = expAvgSq.to_type(ScalarType.Float32).mul(beta2).Plus(g.mul(g).mul(oneMinusBeta2));
        var denominator = v.sqrt().div(sqrtBc2).add(eps, Scalars.One);
        var p = entry.Master.to_type(ScalarType.Float32).mul(decayFactor).sub(m.div(denominator).mul(stepSize));
        entry.Master.copy_(p);
        expAvg.copy_(m);
        expAvgSq.copy_(v);
        if (!ReferenceEquals(entry.Model, entry.Master)) entry.Model.copy_(p);
        grad?.fill_(Scalars.Zero);
    }
}

using Sift.Native;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>RMSNorm as in Llama: normalize in fp32, cast back, then scale (weight * x.to(dtype)); bf16 on CPU in one pass (<see cref="Bf16RmsNorm"/>).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    // The name lets TorchSharp's to(device) put the moved parameter back in this field.
    [ComponentName(Name = "weight")] private Parameter _weight;
    private readonly double _eps;

    public RmsNorm(int dim, double eps, ScalarType dtype) : base(nameof(RmsNorm))
    {
        _weight = new Parameter(ones(dim, dtype));
        _eps = eps;
        register_parameter("weight", _weight);
    }

    public Parameter Weight => _weight;

    public override Tensor forward(Tensor x)
    {
        if (Bf16RmsNorm.Supports(x, _weight)) return Bf16RmsNorm.Run(x, _weight, _eps);
        using var scope = NewDisposeScope();
        using var eps = Scalars.Hold(_eps);
        bool fp32 = x.dtype == ScalarType.Float32;
        var x32 = fp32 ? x : x.to_type(ScalarType.Float32);
        var normed = x32 * x32.pow(Scalars.Two).mean([-1], keepdim: true).add(eps, Scalars.One).rsqrt();
        return (_weight * (fp32 ? normed : normed.to_type(x.dtype))).MoveToOuterDisposeScope();
    }
}

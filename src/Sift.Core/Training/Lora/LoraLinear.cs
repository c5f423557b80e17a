using Sift.Native;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Training.Lora;

/// <summary>
/// A frozen linear layer plus a low-rank update: y = W x + b + scaling · B A dropout(x), with A
/// [r, in] and B [out, r]. Submodules are named as in PEFT (base_layer, lora_A, lora_B).
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    // The names keep TorchSharp from registering each module a second time under its field name.
    [ComponentName(Name = "base_layer")] private readonly Linear _base;
    [ComponentName(Name = "lora_A")] private readonly Linear _a;
    [ComponentName(Name = "lora_B")] private readonly Linear _b;
    private readonly double _scaling, _dropout;

    /// <summary>A starts as PEFT's kaiming_uniform_(a=√5), i.e. U(−1/√in, 1/√in), drawn from <paramref name="init"/>; B starts at zero.</summary>
    public LoraLinear(Linear baseLayer, int r, double scaling, double dropout, Generator init) : base(nameof(LoraLinear))
    {
        var weight = baseLayer.weight!;
        long outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        _base = baseLayer;
        _a = nn.Linear(inFeatures, r, hasBias: false, device: weight.device, dtype: weight.dtype);
        _b = nn.Linear(r, outFeatures, hasBias: false, device: weight.device, dtype: weight.dtype);
        _scaling = scaling;
        _dropout = dropout;
        using (no_grad())
        {
            double bound = 1.0 / Math.Sqrt(inFeatures);
            // Drawn on the CPU (the generator's device) and copied, so every device starts from the same A.
            using (var drawn = empty(_a.weight!.shape, weight.dtype)) _a.weight!.copy_(drawn.uniform_(-bound, bound, init));
            _b.weight!.fill_(Scalars.Zero); // zero_() leaves a second tensor object to the finalizer
        }
        register_module("base_layer", _base);
        register_module("lora_A", _a);
        register_module("lora_B", _b);
    }

    public Linear BaseLayer => _base;
    public Parameter A => _a.weight!;
    public Parameter B => _b.weight!;

    /// <summary>Frees A and B once merged; the base layer lives on in the model.</summary>
    public void DisposeLowRankMatrices()
    {
        _a.Dispose();
        _b.Dispose();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var scaling = Scalars.Hold(_scaling);
        var h = training && _dropout > 0 ? F.dropout(x, _dropout, training: true) : x;
        return _base.forward(x).Plus(_b.forward(_a.forward(h)).mul_(scaling)).MoveToOuterDisposeScope();
    }

    /// <summary>scaling · B A in float32, shaped like the base weight [out, in].</summary>
    public Tensor DeltaWeight()
    {
        using var _ = no_grad();
        using var b = B.to_type(ScalarType.Float32);
        using var a = A.to_type(ScalarType.Float32);
        using var scaling = Scalars.Hold(_scaling);
        return b.matmul(a).mul_(scaling);
    }
}

using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Models;

/// <summary>SwiGLU MLP: down(silu(gate(x)) * up(x)).</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear _gate, _up, _down;

    public FeedForward(ModelConfig c, ScalarType dtype) : base(nameof(FeedForward))
    {
        _gate = nn.Linear(c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype: dtype);
        _up = nn.Linear(c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype: dtype);
        _down = nn.Linear(c.IntermediateSize, c.HiddenSize, c.MlpBias, dtype: dtype);
        register_module("gate_proj", _gate);
        register_module("up_proj", _up);
        register_module("down_proj", _down);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return _down.forward(F.silu(_gate.forward(x)) * _up.forward(x)).MoveToOuterDisposeScope();
    }
}

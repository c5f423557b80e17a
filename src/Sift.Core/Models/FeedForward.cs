using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Models;

/// <summary>SwiGLU MLP: down(silu(gate(x)) * up(x)).</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>, IProjectionOwner
{
    public static readonly string[] ProjectionNames = ["gate_proj", "up_proj", "down_proj"];

    // The names keep TorchSharp from registering each projection a second time under its field name.
    [ComponentName(Name = "gate_proj")] private nn.Module<Tensor, Tensor> _gate;
    [ComponentName(Name = "up_proj")] private nn.Module<Tensor, Tensor> _up;
    [ComponentName(Name = "down_proj")] private nn.Module<Tensor, Tensor> _down;

    public FeedForward(ModelConfig c, ScalarType dtype) : base(nameof(FeedForward))
    {
        _gate = nn.Linear(c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype: dtype);
        _up = nn.Linear(c.HiddenSize, c.IntermediateSize, c.MlpBias, dtype: dtype);
        _down = nn.Linear(c.IntermediateSize, c.HiddenSize, c.MlpBias, dtype: dtype);
        register_module("gate_proj", _gate);
        register_module("up_proj", _up);
        register_module("down_proj", _down);
    }

    public nn.Module<Tensor, Tensor> GetProjection(string name) => name switch
    {
        "gate_proj" => _gate,
        "up_proj" => _up,
        "down_proj" => _down,
        _ => throw new ArgumentException($"the MLP has no projection '{name}'", nameof(name)),
    };

    public void SetProjection(string name, nn.Module<Tensor, Tensor> projection)
    {
        switch (name)
        {
            case "gate_proj": _gate = projection; break;
            case "up_proj": _up = projection; break;
            case "down_proj": _down = projection; break;
            default: throw new ArgumentException($"the MLP has no projection '{name}'", nameof(name));
        }
        _internal_submodules[name] = projection;
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return _down.forward(F.silu(_gate.forward(x)) * _up.forward(x)).MoveToOuterDisposeScope();
    }
}

using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>A block whose linear projections an adapter (LoRA) may wrap, addressed by their Hugging Face names.</summary>
public interface IProjectionOwner
{
    nn.Module<Tensor, Tensor> GetProjection(string name);

    /// <summary>Puts <paramref name="projection"/> in the named slot; it is registered under the same name and order.</summary>
    void SetProjection(string name, nn.Module<Tensor, Tensor> projection);
}

/// <summary>One linear projection of a model: its module path ("model.layers.3.self_attn.q_proj") and the slot holding it.</summary>
public sealed record ProjectionSlot(string Path, string Name, IProjectionOwner Owner)
{
    public nn.Module<Tensor, Tensor> Module
    {
        get => Owner.GetProjection(Name);
        set => Owner.SetProjection(Name, value);
    }
}

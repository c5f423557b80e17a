using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Models;

/// <summary>Grouped-query self-attention with rotary embeddings (q/k/v/o projections named as in Hugging Face).</summary>
public sealed class Attention : nn.Module, IProjectionOwner
{
    public static readonly string[] ProjectionNames = ["q_proj", "k_proj", "v_proj", "o_proj"];

    // The names keep TorchSharp from registering each projection a second time under its field name.
    [ComponentName(Name = "q_proj")] private nn.Module<Tensor, Tensor> _q;
    [ComponentName(Name = "k_proj")] private nn.Module<Tensor, Tensor> _k;
    [ComponentName(Name = "v_proj")] private nn.Module<Tensor, Tensor> _v;
    [ComponentName(Name = "o_proj")] private nn.Module<Tensor, Tensor> _o;
    private readonly int _heads, _kvHeads, _headDim;

    public Attention(ModelConfig c, ScalarType dtype) : base(nameof(Attention))
    {
        _heads = c.NumHeads;
        _kvHeads = c.NumKvHeads;
        _headDim = c.HeadDim;
        _q = nn.Linear(c.HiddenSize, c.NumHeads * c.HeadDim, c.QkvBias, dtype: dtype);
        _k = nn.Linear(c.HiddenSize, c.NumKvHeads * c.HeadDim, c.QkvBias, dtype: dtype);
        _v = nn.Linear(c.HiddenSize, c.NumKvHeads * c.HeadDim, c.QkvBias, dtype: dtype);
        _o = nn.Linear(c.NumHeads * c.HeadDim, c.HiddenSize, c.OutputBias, dtype: dtype);
        register_module("q_proj", _q);
        register_module("k_proj", _k);
        register_module("v_proj", _v);
        register_module("o_proj", _o);
    }

    public nn.Module<Tensor, Tensor> GetProjection(string name) => name switch
    {
        "q_proj" => _q,
        "k_proj" => _k,
        "v_proj" => _v,
        "o_proj" => _o,
        _ => throw new ArgumentException($"attention has no projection '{name}'", nameof(name)),
    };

    public void SetProjection(string name, nn.Module<Tensor, Tensor> projection)
    {
        switch (name)
        {
            case "q_proj": _q = projection; break;
            case "k_proj": _k = projection; break;
            case "v_proj": _v = projection; break;
            case "o_proj": _o = projection; break;
            default: throw new ArgumentException($"attention has no projection '{name}'", nameof(name));
        }
        _internal_submodules[name] = projection;
    }

    /// <param name="x">[B, T, hidden]</param>
    /// <param name="mask">bool [B, 1, T, S] (true = may attend), or null for plain causal attention over T == S.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        var q = _q.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = _k.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var v = _v.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        if (cache != null) (k, v) = cache.Append(layer, k, v);
        k = RepeatKv(k);
        v = RepeatKv(v);
        bool causal = mask is null && (cache is null || cache.Length == 0) && t > 1;
        // Every AttentionLayout mask is causal (it only narrows the lower triangle), so the bf16 path may skip the keys after each query.
        var o = training && cache is null && Bf16Attention.Supports(q, k, mask)
            ? Bf16Attention.Run(q, k, v, mask?.contiguous(), causal: true)
            : F.scaled_dot_product_attention(q, k, v, mask, 0.0, causal);
        o = o.transpose(1, 2).reshape(b, t, _heads * _headDim);
        return _o.forward(o).MoveToOuterDisposeScope();
    }

    /// <summary>[B, kv, S, d] → [B, kv·groups, S, d], each kv head repeated for its group of query heads.</summary>
    private Tensor RepeatKv(Tensor kv)
    {
        int groups = _heads / _kvHeads;
        if (groups == 1) return kv;
        long b = kv.shape[0], s = kv.shape[2];
        return kv.unsqueeze(2).expand(b, _kvHeads, groups, s, _headDim).reshape(b, _heads, s, _headDim);
    }
}

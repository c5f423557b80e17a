using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Models;

/// <summary>Grouped-query self-attention with rotary embeddings (q/k/v/o projections named as in Hugging Face).</summary>
public sealed class Attention : nn.Module
{
    private readonly Linear _q, _k, _v, _o;
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
        var o = F.scaled_dot_product_attention(q, k, v, mask, 0.0, causal);
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

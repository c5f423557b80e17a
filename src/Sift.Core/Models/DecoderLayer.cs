using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>One pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class DecoderLayer : nn.Module
{
    private readonly RmsNorm _inputNorm, _postAttentionNorm;
    private readonly Attention _attention;
    private readonly FeedForward _mlp;

    public DecoderLayer(ModelConfig c, ScalarType dtype) : base(nameof(DecoderLayer))
    {
        _inputNorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype);
        _attention = new Attention(c, dtype);
        _postAttentionNorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype);
        _mlp = new FeedForward(c, dtype);
        register_module("input_layernorm", _inputNorm);
        register_module("self_attn", _attention);
        register_module("post_attention_layernorm", _postAttentionNorm);
        register_module("mlp", _mlp);
    }

    public Attention SelfAttention => _attention;
    public FeedForward Mlp => _mlp;

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(_attention.Forward(_inputNorm.forward(x), cos, sin, mask, cache, layer));
        return h.Plus(_mlp.forward(_postAttentionNorm.forward(h))).MoveToOuterDisposeScope();
    }
}

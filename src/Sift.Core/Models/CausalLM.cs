using Sift.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Models;

/// <summary>Hidden states after the final norm (the LM-head input) and, when asked for, the logits.</summary>
public sealed record ModelOutput(Tensor Hidden, Tensor? Logits) : IDisposable
{
    public void Dispose()
    {
        Hidden.Dispose();
        Logits?.Dispose();
    }
}

/// <summary>
/// The one Llama-family implementation (Llama 2/3, TinyLlama, SmolLM, Mistral, Qwen2) that serves
/// training, scoring and generation. Parameter names equal the Hugging Face state-dict names
/// (model.embed_tokens.weight, model.layers.0.self_attn.q_proj.weight, ..., lm_head.weight).
/// </summary>
public sealed class CausalLM : nn.Module
{
    private readonly Backbone _model;
    private readonly Linear? _lmHead;
    private readonly RotaryEmbedding _rope;

    public CausalLM(ModelConfig config, ScalarType dtype = ScalarType.Float32) : base(nameof(CausalLM))
    {
        Config = config;
        DType = dtype;
        _model = new Backbone(config, dtype);
        register_module("model", _model);
        if (!config.TieWordEmbeddings)
        {
            _lmHead = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, dtype: dtype);
            register_module("lm_head", _lmHead);
        }
        _rope = new RotaryEmbedding(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    public ModelConfig Config { get; }
    public ScalarType DType { get; }

    /// <summary>
    /// Recompute each decoder layer's activations in the backward pass instead of keeping them:
    /// less memory for about one extra forward pass. Applies when gradients are enabled and no
    /// KV cache is in use; gradients are the same as without it.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>The LM head weight [vocab, hidden] (the embedding matrix when embeddings are tied).</summary>
    public Tensor LmHeadWeight => _lmHead?.weight ?? _model.EmbedTokens.weight!;

    /// <summary>Where the parameters are (CPU unless the model was moved with <see cref="MoveTo"/>); inputs elsewhere are copied here.</summary>
    public Device Device => _model.Norm.Weight.device; // not the embedding's: TorchSharp wraps its weight in a new tensor object per read

    /// <summary>Moves every parameter to <paramref name="device"/> (a no-op for the CPU, where models are made and loaded).</summary>
    public void MoveTo(Device device)
    {
        if (!ComputeDevice.Same(device, Device)) this.to(device);
    }

    /// <summary>Token embeddings, [B, T, hidden], for ids on any device.</summary>
    public Tensor Embed(Tensor inputIds)
    {
        if (ComputeDevice.Same(inputIds.device, Device)) return _model.EmbedTokens.forward(inputIds);
        using var ids = inputIds.to(Device);
        return _model.EmbedTokens.forward(ids);
    }

    /// <summary>Logits [.., vocab] from last hidden states [.., hidden].</summary>
    public Tensor Logits(Tensor hidden) => F.linear(hidden, LmHeadWeight);

    public ModelOutput Forward(Tensor inputIds, AttentionLayout? layout = null, KvCache? cache = null, bool computeLogits = true) =>
        ForwardEmbeddings(Embed(inputIds), layout, cache, computeLogits);

    /// <summary>Runs the transformer on given input embeddings (NEFTune adds noise to them first).</summary>
    public ModelOutput ForwardEmbeddings(Tensor embeddings, AttentionLayout? layout = null, KvCache? cache = null, bool computeLogits = true)
    {
        using var scope = NewDisposeScope();
        long b = embeddings.shape[0], t = embeddings.shape[1];
        var ownLayout = layout?.On(embeddings.device) ?? AttentionLayout.Causal(b, t, cache?.Length ?? 0, embeddings.device);
        var (cos, sin) = _rope.Angles(ownLayout.Positions, embeddings.dtype);
        var x = embeddings;
        bool recompute = GradientCheckpointing && cache is null && is_grad_enabled();
        for (int i = 0; i < _model.Layers.Count; i++)
            x = recompute
                ? LayerCheckpoint.Run(_model.Layers[i], x, cos, sin, ownLayout.Mask)
                : _model.Layers[i].Forward(x, cos, sin, ownLayout.Mask, cache, i);
        cache?.Advance((int)t);
        var hidden = _model.Norm.forward(x);
        var logits = computeLogits ? Logits(hidden) : null;
        if (!ReferenceEquals(ownLayout, layout)) ownLayout.Dispose();
        return new ModelOutput(hidden.MoveToOuterDisposeScope(), logits?.MoveToOuterDisposeScope());
    }

    /// <summary>The q/k/v/o and gate/up/down projections of every layer, in layer order, by Hugging Face module path.</summary>
    public IEnumerable<ProjectionSlot> Projections()
    {
        for (int i = 0; i < _model.Layers.Count; i++)
        {
            var layer = _model.Layers[i];
            foreach (var name in Attention.ProjectionNames)
                yield return new ProjectionSlot($"model.layers.{i}.self_attn.{name}", name, layer.SelfAttention);
            foreach (var name in FeedForward.ProjectionNames)
                yield return new ProjectionSlot($"model.layers.{i}.mlp.{name}", name, layer.Mlp);
        }
    }

    /// <summary>Hugging Face initialization: normal(0, std) for linear and embedding weights, zero biases, unit norms.</summary>
    public void InitializeWeights(long seed, double std = 0.02)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("layernorm.weight") || name == "model.norm.weight") p.fill_(Scalars.One);
            else if (name.EndsWith(".bias")) p.fill_(Scalars.Zero); // zero_() leaves a second tensor object to the finalizer
            else p.normal_(0, std, generator);
        }
    }

    /// <summary>
    /// Copies weights by Hugging Face name into the parameters, converting dtype. Every parameter
    /// must be present with its exact shape. Returns the names that were not used (a tied head's
    /// explicit copy and rotary buffers are expected there).
    /// </summary>
    public IReadOnlyList<string> LoadWeights(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        using var _ = no_grad();
        var used = new HashSet<string>();
        foreach (var (name, p) in named_parameters())
        {
            if (!weights.TryGetValue(name, out var w))
                throw new SiftException($"{source}: tensor '{name}' is missing; the weights do not match config.json ({Config.Architecture}, {Config.NumLayers} layers)");
            if (!w.shape.SequenceEqual(p.shape))
                throw new SiftException($"{source}: tensor '{name}' has shape [{string.Join(", ", w.shape)}] but config.json implies [{string.Join(", ", p.shape)}]; the weights and config.json belong to different models");
            p.copy_(w);
            used.Add(name);
        }
        return weights.Keys.Where(k => !used.Contains(k)).Order().ToList();
    }

    /// <summary>The weights by Hugging Face name, as contiguous CPU copies in the given dtype (default: the model's).</summary>
    public Dictionary<string, Tensor> ExportWeights(ScalarType? dtype = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to_type(dtype ?? DType).cpu().contiguous().clone().MoveToOuterDisposeScope());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _rope.Dispose();
        base.Dispose(disposing);
    }

    private sealed class Backbone : nn.Module
    {
        public Backbone(ModelConfig c, ScalarType dtype) : base(nameof(Backbone))
        {
            EmbedTokens = nn.Embedding(c.VocabSize, c.HiddenSize, dtype: dtype);
            Layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(_ => new DecoderLayer(c, dtype)).ToArray());
            Norm = new RmsNorm(c.HiddenSize, c.RmsNormEps, dtype);
            register_module("embed_tokens", EmbedTokens);
            register_module("layers", Layers);
            register_module("norm", Norm);
        }

        public Embedding EmbedTokens { get; }
        public ModuleList<DecoderLayer> Layers { get; }
        public RmsNorm Norm { get; }
    }
}

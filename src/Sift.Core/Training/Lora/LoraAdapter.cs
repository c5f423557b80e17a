using Sift.Native;
using Sift.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sift.Training.Lora;

/// <summary>
/// LoRA applied to a <see cref="CausalLM"/>: the targeted projections are wrapped in
/// <see cref="LoraLinear"/>, every base parameter is frozen, and only the A and B matrices train.
/// Parameter names are PEFT's saved names (base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight).
/// </summary>
public sealed class LoraAdapter
{
    public const string PeftPrefix = "base_model.model.";

    private readonly List<(ProjectionSlot Slot, LoraLinear Layer)> _layers;
    private readonly List<(Parameter Parameter, bool RequiresGrad)> _baseRequiresGrad;
    private bool _released; // merged or removed: the wrappers are gone

    private LoraAdapter(CausalLM model, LoraConfig config, List<(ProjectionSlot, LoraLinear)> layers, List<(Parameter, bool)> baseRequiresGrad)
    {
        Model = model;
        Config = config;
        _layers = layers;
        _baseRequiresGrad = baseRequiresGrad;
        Parameters = layers.SelectMany(l => new[]
        {
            (PeftName(l.Item1.Path, "lora_A"), l.Item2.A),
            (PeftName(l.Item1.Path, "lora_B"), l.Item2.B),
        }).ToList();
    }

    public CausalLM Model { get; }
    public LoraConfig Config { get; }

    /// <summary>The trainable parameters (every A and B), by PEFT name, in layer order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    /// <summary>Module paths of the adapted projections ("model.layers.0.self_attn.q_proj").</summary>
    public IEnumerable<string> AdaptedModules => _layers.Select(l => l.Slot.Path);

    /// <summary>Wraps every projection <paramref name="config"/> targets; A is drawn from a generator seeded with <paramref name="seed"/>.</summary>
    public static LoraAdapter Apply(CausalLM model, LoraConfig config, long seed)
    {
        config.Validate();
        var slots = model.Projections().Where(s => config.Targets(s.Path)).ToList();
        if (slots.Count == 0)
            throw new SiftException($"lora: target_modules {Describe(config)} matches no projection of this model; use {string.Join(", ", LoraConfig.LinearModules)} or {LoraConfig.AllLinear}");
        var baseRequiresGrad = model.parameters().Select(p => (p, p.requires_grad)).ToList();
        var generator = new Generator((ulong)seed);
        var layers = new List<(ProjectionSlot, LoraLinear)>();
        foreach (var slot in slots)
        {
            if (slot.Module is not Linear linear)
                throw new SiftException($"lora: '{slot.Path}' is already adapted; apply LoRA to a plain model once");
            var lora = new LoraLinear(linear, config.R, config.Scaling, config.Dropout, generator);
            slot.Module = lora;
            layers.Add((slot, lora));
        }
        foreach (var (p, _) in baseRequiresGrad) p.requires_grad = false;
        return new LoraAdapter(model, config, layers, baseRequiresGrad);
    }

    /// <summary>The adapter weights by PEFT name, as contiguous CPU copies (in <paramref name="dtype"/> when given).</summary>
    public Dictionary<string, Tensor> ExportWeights(ScalarType? dtype = null)
    {
        EnsureNotMerged();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return Parameters.ToDictionary(p => p.Name, p => p.Parameter.detach().to_type(dtype ?? p.Parameter.dtype).cpu().contiguous().clone().MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Copies adapter weights by PEFT name, converting dtype; every A and B must be present with
    /// its exact shape and nothing else may be there. <paramref name="source"/> names the file in errors.
    /// </summary>
    public void LoadWeights(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        EnsureNotMerged();
        using var _ = no_grad();
        foreach (var (name, p) in Parameters)
        {
            if (!weights.TryGetValue(name, out var w))
                throw new SiftException($"{source}: tensor '{name}' is missing; the adapter was saved for other layers or target modules than its adapter_config.json describes for this base model");
            if (!w.shape.SequenceEqual(p.shape))
                throw new SiftException($"{source}: tensor '{name}' has shape [{string.Join(", ", w.shape)}] but r={Config.R} on this base model needs [{string.Join(", ", p.shape)}]; the adapter belongs to a different base model or rank");
            p.copy_(w);
        }
        var expected = Parameters.Select(p => p.Name).ToHashSet();
        var unexpected = weights.Keys.Where(k => !expected.Contains(k)).Order().ToList();
        if (unexpected.Count > 0)
            throw new SiftException($"{source}: tensor '{unexpected[0]}'{(unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more)" : "")} is not an A or B matrix of the modules adapter_config.json targets; the adapter holds weights Sift would silently drop (modules_to_save, biases, or another base model)");
    }

    /// <summary>
    /// The merged model's weights by Hugging Face name (W + scaling · B A for adapted layers, in
    /// float32 before the cast), leaving the adapter in place: for snapshots taken while training.
    /// </summary>
    public Dictionary<string, Tensor> MergedWeights(ScalarType dtype)
    {
        EnsureNotMerged();
        using var _ = no_grad();
        var adapted = _layers.ToDictionary(l => l.Slot.Path + ".weight", l => l.Layer);
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, p) in Model.named_parameters())
        {
            if (name.Contains(".lora_A.") || name.Contains(".lora_B.")) continue;
            var hfName = name.Replace(".base_layer.", ".");
            using var scope = NewDisposeScope();
            if (adapted.TryGetValue(hfName, out var lora))
                result[hfName] = p.detach().to_type(ScalarType.Float32).Plus(lora.DeltaWeight()).to_type(dtype).cpu().contiguous().MoveToOuterDisposeScope();
            else result[hfName] = p.detach().to_type(dtype).cpu().contiguous().clone().MoveToOuterDisposeScope();
        }
        return result;
    }

    /// <summary>
    /// Folds the update into the base weights (W' = W + scaling · B A, computed in float32) and puts
    /// the plain linear layers back, so the model is an ordinary <see cref="CausalLM"/> again with
    /// its parameters' original requires_grad. The adapter cannot be used afterwards.
    /// </summary>
    public CausalLM Merge()
    {
        EnsureNotMerged();
        using (no_grad())
        {
            foreach (var (_, lora) in _layers)
            {
                var weight = lora.BaseLayer.weight!;
                using var delta = lora.DeltaWeight();
                using var merged = weight.to_type(ScalarType.Float32).PlusInPlace(delta);
                weight.copy_(merged);
            }
        }
        Remove();
        return Model;
    }

    /// <summary>Puts the plain linear layers back without merging: the model is the base model again.</summary>
    public void Remove()
    {
        EnsureNotMerged();
        foreach (var (slot, lora) in _layers)
        {
            slot.Module = lora.BaseLayer;
            lora.DisposeLowRankMatrices();
        }
        foreach (var (p, requiresGrad) in _baseRequiresGrad) p.requires_grad = requiresGrad;
        _released = true;
    }

    /// <summary>PEFT's saved name of a LoRA matrix: "base_model.model." + module path + ".lora_A.weight" (no adapter name).</summary>
    public static string PeftName(string modulePath, string matrix) => $"{PeftPrefix}{modulePath}.{matrix}.weight";

    private void EnsureNotMerged()
    {
        if (_released) throw new InvalidOperationException("this LoRA adapter was merged into or removed from its model and no longer exists");
    }

    private static string Describe(LoraConfig c) => c.TargetPattern != null ? $"'{c.TargetPattern}'" : $"[{string.Join(", ", c.TargetModules)}]";
}

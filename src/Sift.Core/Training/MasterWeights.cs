using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sift.Training;

/// <summary>
/// The parameters the optimizer updates. For bf16 compute with fp32 master weights each model
/// parameter has an fp32 copy, which the optimizer steps from the model's bf16 gradient and writes
/// back to the model rounded to bf16 (<see cref="FusedAdamW"/>). Otherwise the masters are the
/// model's own parameters.
/// </summary>
public sealed class MasterWeights : IDisposable
{
    private readonly List<(string Name, Parameter Model, Parameter Master)> _entries = [];
    private readonly bool _separate;

    public MasterWeights(IEnumerable<(string Name, Parameter Parameter)> trainable, Precision precision)
    {
        _separate = precision == Precision.Bfloat16Mixed;
        using var _ = no_grad();
        foreach (var (name, p) in trainable)
        {
            using var scope = NewDisposeScope();
            var master = _separate ? new Parameter(p.detach().to_type(ScalarType.Float32).clone().DetachFromDisposeScope()) : p;
            _entries.Add((name, p, master));
        }
        if (_entries.Count == 0) throw new SiftException("there are no trainable parameters");
    }

    public IEnumerable<(string Name, Parameter Master)> Named => _entries.Select(e => (e.Name, e.Master));

    /// <summary>The optimizer's view: each master with the model parameter whose gradient it follows; weight decay for matrices only (transformers' rule, not biases or norm scales).</summary>
    public IEnumerable<FusedAdamW.Entry> OptimizerEntries(double weightDecay) =>
        _entries.Select(e => new FusedAdamW.Entry(e.Name, e.Master, e.Model, e.Master.dim() >= 2 ? weightDecay : 0.0));

    /// <summary>Loads master values (e.g. from a checkpoint) by name and refreshes the model.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        using var _ = no_grad();
        foreach (var (name, model, master) in _entries)
        {
            if (!weights.TryGetValue(name, out var w) || !w.shape.SequenceEqual(master.shape))
                throw new SiftException($"{source}: tensor '{name}' is missing or has the wrong shape; the checkpoint belongs to a different model or setup");
            master.copy_(w);
            if (_separate) model.copy_(master);
        }
    }

    public void Dispose()
    {
        if (_separate) foreach (var e in _entries) e.Master.Dispose();
    }
}

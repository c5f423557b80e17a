using Sift.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sift.Training;

/// <summary>What a run trains and how its weights are written: the whole model, or LoRA adapters on a frozen base.</summary>
public interface ITrainingTarget
{
    CausalLM Model { get; }
    IReadOnlyList<(string Name, Parameter Parameter)> Trainable { get; }

    /// <summary>Writes the trained weights (given by name, at full master precision) as a loadable folder.</summary>
    void Save(string dir, IReadOnlyDictionary<string, Tensor> weights);

    /// <summary>Reads back what <see cref="Save"/> wrote, by name.</summary>
    Dictionary<string, Tensor> Load(string dir);

    /// <summary>Writes the model for use in HF layout (a LoRA target merges; at the end of training it also writes its adapter).</summary>
    void Export(string dir, IReadOnlyDictionary<string, Tensor> weights, bool final);
}

/// <summary>Full fine-tuning (or pre-training): every parameter trains; checkpoints are HF model folders.</summary>
public sealed class FullModelTarget(CausalLM model, string? tokenizerDir, ScalarType exportDType) : ITrainingTarget
{
    public CausalLM Model { get; } = model;

    public IReadOnlyList<(string Name, Parameter Parameter)> Trainable { get; } = model.named_parameters().ToList();

    public void Save(string dir, IReadOnlyDictionary<string, Tensor> weights) =>
        ModelFolder.Save(Model.Config, weights, dir, tokenizerDir, weights.Values.First().dtype);

    public Dictionary<string, Tensor> Load(string dir) => Models.Safetensors.SafetensorsCheckpoint.Load(dir);

    public void Export(string dir, IReadOnlyDictionary<string, Tensor> weights, bool final) =>
        ModelFolder.Save(Model.Config, weights, dir, tokenizerDir, exportDType);
}

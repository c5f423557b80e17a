using Sift.IO;
using Sift.Models;
using Sift.Models.Safetensors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sift.Training.Lora;

/// <summary>
/// LoRA fine-tuning: only the adapter's A and B matrices train. Checkpoints hold the adapter in the
/// PEFT layout (at master precision, so a resume is exact); the exported model is the merged base
/// in HF layout, and the final export also writes the adapter to <paramref name="adapterDir"/>.
/// </summary>
public sealed class LoraTarget(LoraAdapter adapter, string? tokenizerDir, ScalarType exportDType, string adapterDir, string? baseModelPath) : ITrainingTarget
{
    public CausalLM Model => adapter.Model;

    public IReadOnlyList<(string Name, Parameter Parameter)> Trainable => adapter.Parameters;

    public void Save(string dir, IReadOnlyDictionary<string, Tensor> weights)
    {
        SafetensorsFile.Save(Path.Combine(dir, AdapterFolder.WeightsFile), weights);
        PeftAdapterConfig.Write(Path.Combine(dir, PeftAdapterConfig.FileName), adapter.Config, adapter.AdaptedModules, baseModelPath);
    }

    public Dictionary<string, Tensor> Load(string dir) => SafetensorsFile.Load(Path.Combine(dir, AdapterFolder.WeightsFile));

    public void Export(string dir, IReadOnlyDictionary<string, Tensor> weights, bool final)
    {
        var merged = adapter.MergedWeights(exportDType);
        try
        {
            ModelFolder.Save(Model.Config, merged, dir, tokenizerDir, exportDType);
        }
        finally
        {
            foreach (var t in merged.Values) t.Dispose();
        }
        if (final) AtomicFolder.Replace(adapterDir, temp => Save(temp, weights));
    }
}

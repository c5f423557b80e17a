using Sift.Models;
using Sift.Models.Safetensors;

namespace Sift.Training.Lora;

/// <summary>A LoRA adapter on disk in the PEFT layout: adapter_config.json and adapter_model.safetensors.</summary>
public static class AdapterFolder
{
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Writes both files atomically (the weights first, so a config never points at missing weights).</summary>
    public static void Save(LoraAdapter adapter, string dir, string? baseModelNameOrPath = null)
    {
        Directory.CreateDirectory(dir);
        var weights = adapter.ExportWeights();
        try
        {
            SafetensorsFile.Save(Path.Combine(dir, WeightsFile), weights);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
        PeftAdapterConfig.Write(Path.Combine(dir, PeftAdapterConfig.FileName), adapter.Config, adapter.AdaptedModules, baseModelNameOrPath);
    }

    /// <summary>The base_model_name_or_path recorded in the folder's adapter_config.json, if any.</summary>
    public static string? BaseModel(string dir) => PeftAdapterConfig.Read(Path.Combine(dir, PeftAdapterConfig.FileName)).BaseModelNameOrPath;

    /// <summary>Applies the adapter in <paramref name="dir"/> to <paramref name="model"/> (a plain base model) with its saved weights.</summary>
    public static LoraAdapter Load(CausalLM model, string dir)
    {
        if (!Directory.Exists(dir)) throw new SiftException($"adapter folder '{dir}' does not exist: pass a folder with {PeftAdapterConfig.FileName} and {WeightsFile}");
        var (config, _) = PeftAdapterConfig.Read(Path.Combine(dir, PeftAdapterConfig.FileName));
        var weightsPath = Path.Combine(dir, WeightsFile);
        if (!File.Exists(weightsPath))
            throw new SiftException(File.Exists(Path.Combine(dir, "adapter_model.bin"))
                ? $"'{dir}' holds adapter_model.bin (a pickle) but no {WeightsFile}; Sift reads only safetensors: re-save the adapter with safe_serialization=True"
                : $"'{weightsPath}' not found: a LoRA adapter folder holds {PeftAdapterConfig.FileName} and {WeightsFile}");
        var weights = SafetensorsFile.Load(weightsPath);
        try
        {
            var adapter = LoraAdapter.Apply(model, config, seed: 0);
            try
            {
                adapter.LoadWeights(weights, $"'{weightsPath}'");
                return adapter;
            }
            catch
            {
                adapter.Remove();
                throw;
            }
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }
}

using System.Text.Json.Nodes;
using Sift.IO;
using Sift.Models.Safetensors;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// A model folder in Hugging Face layout: config.json, model.safetensors (or shards with an
/// index), tokenizer files and generation_config.json. Loads into and saves from <see cref="CausalLM"/>.
/// </summary>
public static class ModelFolder
{
    /// <summary>Files copied along with the weights when a model is saved from another folder.</summary>
    public static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"];

    /// <param name="device">Where the model runs (default: the CPU); the weights are read on the CPU and moved there.</param>
    public static CausalLM Load(string modelDir, ScalarType? dtype = null, Device? device = null)
    {
        var config = ModelConfig.Load(modelDir);
        var weights = SafetensorsCheckpoint.Load(modelDir);
        try
        {
            var model = new CausalLM(config, dtype ?? DefaultDType(config));
            try
            {
                var unused = model.LoadWeights(weights, $"weights in '{modelDir}'");
                var unexpected = unused.Where(n => !IsKnownExtra(n, config)).ToList();
                if (unexpected.Count > 0)
                    throw new SiftException($"weights in '{modelDir}' hold tensors this {config.Architecture} config does not use: {string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? ", ..." : "")}; check that config.json belongs to these weights");
                if (device is not null) model.MoveTo(device);
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Writes config.json, model.safetensors (sharded when large), generation_config.json, and the
    /// tokenizer files of <paramref name="tokenizerSourceDir"/> when given.
    /// </summary>
    public static void Save(CausalLM model, string outDir, string? tokenizerSourceDir = null, ScalarType? dtype = null)
    {
        if (model.Projections().FirstOrDefault(s => s.Module is not TorchSharp.Modules.Linear) is { } wrapped)
            throw new SiftException($"'{wrapped.Path}' carries an adapter, which a Hugging Face model folder cannot hold; merge the adapter into the weights first, or save the adapter on its own");
        var saveType = dtype ?? model.DType;
        var weights = model.ExportWeights(saveType);
        try
        {
            Save(model.Config, weights, outDir, tokenizerSourceDir, saveType);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Writes a model folder from weights by Hugging Face name (e.g. a trainer's fp32 master weights).</summary>
    public static void Save(ModelConfig config, IReadOnlyDictionary<string, Tensor> weights, string outDir, string? tokenizerSourceDir, ScalarType saveType)
    {
        Directory.CreateDirectory(outDir);
        using (var scope = NewDisposeScope())
            SafetensorsCheckpoint.Save(outDir, weights.ToDictionary(w => w.Key, w => w.Value.dtype == saveType ? w.Value : w.Value.to_type(saveType)));
        config.Save(outDir, DTypeName(saveType));
        WriteGenerationConfig(config, outDir, tokenizerSourceDir);
        if (tokenizerSourceDir != null && Path.GetFullPath(tokenizerSourceDir) != Path.GetFullPath(outDir))
            foreach (var file in TokenizerFiles)
            {
                var src = Path.Combine(tokenizerSourceDir, file);
                if (File.Exists(src)) AtomicFile.WriteAllBytes(Path.Combine(outDir, file), File.ReadAllBytes(src));
            }
    }

    public static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => throw new SiftException($"models are saved as float32, bfloat16 or float16, not {t}"),
    };

    /// <summary>bf16 checkpoints run in bf16; everything else in fp32 (fp16 is slow on CPUs).</summary>
    private static ScalarType DefaultDType(ModelConfig c) => c.TorchDtype == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32;

    private static bool IsKnownExtra(string name, ModelConfig config) =>
        name.EndsWith("rotary_emb.inv_freq") || (config.TieWordEmbeddings && name == "lm_head.weight");

    private static void WriteGenerationConfig(ModelConfig config, string outDir, string? sourceDir)
    {
        var source = sourceDir == null ? null : Path.Combine(sourceDir, "generation_config.json");
        var target = Path.Combine(outDir, "generation_config.json");
        if (source != null && File.Exists(source) && Path.GetFullPath(source) != Path.GetFullPath(target))
        {
            AtomicFile.WriteAllBytes(target, File.ReadAllBytes(source));
            return;
        }
        if (File.Exists(target)) return;
        var json = new JsonObject { ["_from_model_config"] = true };
        if (config.BosTokenId is int bos) json["bos_token_id"] = bos;
        if (config.EosTokenIds.Count == 1) json["eos_token_id"] = config.EosTokenIds[0];
        else if (config.EosTokenIds.Count > 1) json["eos_token_id"] = new JsonArray(config.EosTokenIds.Select(i => (JsonNode)i).ToArray());
        AtomicFile.WriteAllText(target, json.ToJsonString(new() { WriteIndented = true }) + "\n");
    }
}

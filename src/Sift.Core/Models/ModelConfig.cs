using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.IO;

namespace Sift.Models;

/// <summary>Llama 3 RoPE frequency scaling (rope_scaling with rope_type "llama3").</summary>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);

/// <summary>
/// A Llama-family model's config.json (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM),
/// validated. The original JSON is kept so that saving writes back every key, including ones Sift
/// does not use.
/// </summary>
public sealed class ModelConfig
{
    public static readonly string[] SupportedArchitectures = ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"];

    public required string Architecture { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public Llama3RopeScaling? RopeScaling { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Biases on q/k/v projections (Qwen2 always; Llama when attention_bias is true).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on the output projection (Llama attention_bias only).</summary>
    public bool OutputBias { get; init; }
    public bool MlpBias { get; init; }
    /// <summary>torch_dtype as written in config.json ("float32", "bfloat16", ...), or null.</summary>
    public string? TorchDtype { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    private JsonObject _json = new();

    public int KvGroups => NumHeads / NumKvHeads;

    public static ModelConfig Load(string modelDir)
    {
        var path = Path.Combine(modelDir, "config.json");
        if (!Directory.Exists(modelDir)) throw new SiftException($"model folder '{modelDir}' does not exist: pass a folder in Hugging Face layout (config.json, *.safetensors, tokenizer files)");
        if (!File.Exists(path)) throw new SiftException($"'{path}' not found: a model folder needs the config.json that Hugging Face writes with the weights");
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new SiftException($"'{path}' is not valid JSON ({e.Message})"); }
        if (node is not JsonObject obj) throw new SiftException($"'{path}' must hold a JSON object");
        return FromJson(obj, path);
    }

    public static ModelConfig FromJson(JsonObject obj, string source = "config.json")
    {
        // Values built in code (not parsed) are typed CLR primitives; reparse so every number reads alike.
        obj = (JsonObject)JsonNode.Parse(obj.ToJsonString())!;
        var r = new Reader(obj, source);
        var arch = r.Architecture();
        bool isQwen2 = arch == "Qwen2ForCausalLM";
        int hidden = r.Int("hidden_size");
        int heads = r.Int("num_attention_heads");
        int kvHeads = r.OptInt("num_key_value_heads") ?? heads;
        int headDim = r.OptInt("head_dim") ?? (hidden % heads == 0 ? hidden / heads
            : throw new SiftException($"{source}: hidden_size {hidden} is not divisible by num_attention_heads {heads}; set head_dim"));
        if (heads % kvHeads != 0)
            throw new SiftException($"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        if (headDim % 2 != 0) throw new SiftException($"{source}: head_dim {headDim} must be even for rotary embeddings");
        var act = r.OptString("hidden_act") ?? "silu";
        if (act != "silu") throw new SiftException($"{source}: hidden_act '{act}' is not supported; Llama-family models use 'silu'");
        bool attentionBias = r.OptBool("attention_bias") ?? false;
        var cfg = new ModelConfig
        {
            Architecture = arch,
            HiddenSize = hidden,
            IntermediateSize = r.Int("intermediate_size"),
            NumLayers = r.Int("num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = r.Int("vocab_size"),
            RmsNormEps = r.OptDouble("rms_norm_eps") ?? 1e-6,
            RopeTheta = r.OptDouble("rope_theta") ?? 10000,
            RopeScaling = r.RopeScaling(),
            MaxPositionEmbeddings = r.OptInt("max_position_embeddings") ?? 2048,
            TieWordEmbeddings = r.OptBool("tie_word_embeddings") ?? false,
            QkvBias = isQwen2 || attentionBias,
            OutputBias = !isQwen2 && attentionBias,
            MlpBias = r.OptBool("mlp_bias") ?? false,
            TorchDtype = r.OptString("torch_dtype") ?? r.OptString("dtype"),
            BosTokenId = r.OptInt("bos_token_id"),
            EosTokenIds = r.IntOrList("eos_token_id"),
            _json = obj,
        };
        return cfg;
    }

    /// <summary>A config for a freshly initialized model (pretraining, tests, benchmarks).</summary>
    public static ModelConfig Create(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
        int? numKvHeads = null, int maxPositionEmbeddings = 2048, double ropeTheta = 10000, double rmsNormEps = 1e-5,
        bool tieWordEmbeddings = false, int bosTokenId = 1, int eosTokenId = 2, string architecture = "LlamaForCausalLM")
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = ModelTypeOf(architecture),
            ["hidden_size"] = hiddenSize,
            ["intermediate_size"] = intermediateSize,
            ["num_hidden_layers"] = numLayers,
            ["num_attention_heads"] = numHeads,
            ["num_key_value_heads"] = numKvHeads ?? numHeads,
            ["vocab_size"] = vocabSize,
            ["rms_norm_eps"] = rmsNormEps,
            ["rope_theta"] = ropeTheta,
            ["max_position_embeddings"] = maxPositionEmbeddings,
            ["tie_word_embeddings"] = tieWordEmbeddings,
            ["hidden_act"] = "silu",
            ["bos_token_id"] = bosTokenId,
            ["eos_token_id"] = eosTokenId,
            ["torch_dtype"] = "float32",
        };
        return FromJson(json, "model config");
    }

    /// <summary>The config as JSON, with torch_dtype set to the dtype the weights are saved in.</summary>
    public JsonObject ToJson(string? torchDtype = null)
    {
        var json = (JsonObject)_json.DeepClone();
        if (torchDtype != null) json["torch_dtype"] = torchDtype;
        return json;
    }

    public void Save(string modelDir, string? torchDtype = null) =>
        AtomicFile.WriteAllText(Path.Combine(modelDir, "config.json"),
            ToJson(torchDtype).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    private static string ModelTypeOf(string architecture) => architecture switch
    {
        "MistralForCausalLM" => "mistral",
        "Qwen2ForCausalLM" => "qwen2",
        _ => "llama",
    };

    private sealed class Reader(JsonObject obj, string source)
    {
        public string Architecture()
        {
            if (obj["architectures"] is JsonArray { Count: > 0 } arr && arr[0] is JsonValue v && v.TryGetValue(out string? a))
            {
                if (SupportedArchitectures.Contains(a)) return a;
                throw new SiftException($"{source}: architecture '{a}' is not supported; Sift runs {string.Join(", ", SupportedArchitectures)}");
            }
            var type = OptString("model_type");
            return type switch
            {
                "llama" => "LlamaForCausalLM",
                "mistral" => "MistralForCausalLM",
                "qwen2" => "Qwen2ForCausalLM",
                null => throw new SiftException($"{source}: neither 'architectures' nor 'model_type' is set; add \"architectures\": [\"LlamaForCausalLM\"]"),
                _ => throw new SiftException($"{source}: model_type '{type}' is not supported; Sift runs llama, mistral and qwen2"),
            };
        }

        public int Int(string key) => OptInt(key) ?? throw new SiftException($"{source}: required key '{key}' is missing");

        public int? OptInt(string key)
        {
            var node = obj[key];
            if (node is null) return null;
            if (node is JsonValue v && v.TryGetValue(out long l) && l >= 0 && l <= int.MaxValue) return (int)l;
            if (node is JsonValue d && d.TryGetValue(out double x) && x == Math.Floor(x) && x >= 0 && x <= int.MaxValue) return (int)x;
            throw new SiftException($"{source}: '{key}' must be a non-negative integer, found {node.ToJsonString()}");
        }

        public double? OptDouble(string key)
        {
            var node = obj[key];
            if (node is null) return null;
            if (node is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d) && d > 0) return d;
            throw new SiftException($"{source}: '{key}' must be a positive number, found {node.ToJsonString()}");
        }

        public bool? OptBool(string key)
        {
            var node = obj[key];
            if (node is null) return null;
            if (node is JsonValue v && v.TryGetValue(out bool b)) return b;
            throw new SiftException($"{source}: '{key}' must be true or false, found {node.ToJsonString()}");
        }

        public string? OptString(string key)
        {
            var node = obj[key];
            if (node is null) return null;
            if (node is JsonValue v && v.TryGetValue(out string? s)) return s;
            throw new SiftException($"{source}: '{key}' must be a string, found {node.ToJsonString()}");
        }

        public IReadOnlyList<int> IntOrList(string key)
        {
            var node = obj[key];
            if (node is null) return [];
            if (node is JsonArray arr)
                return arr.Select(n => n is JsonValue v && v.TryGetValue(out int i) ? i
                    : throw new SiftException($"{source}: '{key}' must hold integers, found {n?.ToJsonString()}")).ToArray();
            return [OptInt(key)!.Value];
        }

        public Llama3RopeScaling? RopeScaling()
        {
            if (obj["rope_scaling"] is not JsonObject rs) return null;
            var sub = new Reader(rs, source + " rope_scaling");
            var type = sub.OptString("rope_type") ?? sub.OptString("type");
            if (type == "default") return null;
            if (type != "llama3")
                throw new SiftException($"{source}: rope_scaling type '{type}' is not supported; Sift supports 'llama3' (Llama 3.1/3.2) and no scaling");
            return new Llama3RopeScaling(
                sub.OptDouble("factor") ?? throw new SiftException($"{source}: rope_scaling.factor is missing"),
                sub.OptDouble("low_freq_factor") ?? 1.0,
                sub.OptDouble("high_freq_factor") ?? 4.0,
                sub.OptInt("original_max_position_embeddings") ?? 8192);
        }
    }
}

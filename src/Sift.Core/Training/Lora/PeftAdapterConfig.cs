using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.IO;

namespace Sift.Training.Lora;

/// <summary>
/// PEFT's adapter_config.json for LoRA: written with PEFT's keys and defaults (sorted, as
/// PeftConfig.save_pretrained writes them), and read strictly: a setting that would change what
/// the adapter computes and that Sift does not implement (DoRA, per-layer ranks, extra trained
/// modules...) is an error rather than silently ignored.
/// </summary>
public static class PeftAdapterConfig
{
    public const string FileName = "adapter_config.json";

    /// <summary>
    /// Keys whose non-default values Sift refuses (PEFT writes false, null, {} or [] by default): each changes what
    /// the adapted model computes, or which weights it holds. Among them are the LoRA variants PEFT's LoraConfig marks
    /// is_lora_variant except VeLoRA (velora_config), which changes only the backward pass and so computes the same
    /// model. Every other key is read as what it is: metadata (peft_version, revision, base_model_name_or_path,
    /// auto_mapping, inference_mode), settings of how A and B were initialised, which the saved weights replace
    /// (loftq_config, eva_config, corda_config, lora_ga_config), or settings that matter only together with a refused
    /// one or for layers Sift never adapts (layers_pattern, qalora_group_size, megatron_config, megatron_core,
    /// ensure_weight_tying). PEFT 0.21 writes all of these, at their defaults, into every config.
    /// </summary>
    private static readonly string[] UnsupportedWhenSet =
        ["use_dora", "lora_bias", "modules_to_save", "layers_to_transform", "rank_pattern", "alpha_pattern", "exclude_modules",
         "layer_replication", "trainable_token_indices", "target_parameters", "use_qalora", "alora_invocation_tokens",
         "use_bdlora", "arrow_config", "kasa_config", "monteclora_config"];

    public static void Write(string path, LoraConfig config, IEnumerable<string> adaptedModules, string? baseModelNameOrPath)
    {
        JsonNode targets = config.TargetPattern != null
            ? JsonValue.Create(config.TargetPattern)
            : new JsonArray((config.TargetModules.Contains(LoraConfig.AllLinear)
                ? adaptedModules.Select(m => m[(m.LastIndexOf('.') + 1)..]).Distinct().Order(StringComparer.Ordinal).ToList()
                : config.TargetModules).Select(t => (JsonNode)JsonValue.Create(t)).ToArray());
        var fields = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["bias"] = config.Bias,
            ["exclude_modules"] = null,
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = Number(config.Alpha),
            ["lora_bias"] = false,
            ["lora_dropout"] = config.Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = config.R,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = targets,
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = config.UseRslora,
        };
        var json = new JsonObject(fields.Select(kv => KeyValuePair.Create(kv.Key, kv.Value)));
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>The LoRA settings and base_model_name_or_path of an adapter_config.json; errors name the file and key.</summary>
    public static (LoraConfig Config, string? BaseModelNameOrPath) Read(string path)
    {
        if (!File.Exists(path))
            throw new SiftException($"'{path}' not found: a LoRA adapter folder holds {FileName} and adapter_model.safetensors (the PEFT layout)");
        JsonObject obj;
        try { obj = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new SiftException($"'{path}' must hold a JSON object"); }
        catch (JsonException e) { throw new SiftException($"'{path}' is not valid JSON ({e.Message})"); }

        var peftType = String(obj, "peft_type", path);
        if (peftType != "LORA") throw new SiftException($"{path}: peft_type '{peftType}' is not supported; Sift loads LoRA adapters (peft_type \"LORA\")");
        var taskType = obj["task_type"] is null ? null : String(obj, "task_type", path);
        if (taskType is not (null or "CAUSAL_LM")) throw new SiftException($"{path}: task_type '{taskType}' is not supported; Sift loads adapters of causal language models (CAUSAL_LM)");
        if (obj["fan_in_fan_out"] is JsonNode f && Bool(f, "fan_in_fan_out", path))
            throw new SiftException($"{path}: fan_in_fan_out is true (GPT-2 Conv1D weights); Llama-family linear layers need false");
        foreach (var key in UnsupportedWhenSet)
            if (IsSet(obj[key]))
                throw new SiftException($"{path}: '{key}' is set to {obj[key]!.ToJsonString()}; Sift supports plain LoRA only, so this adapter would compute something else here");

        var config = new LoraConfig
        {
            R = Int(obj, "r", path),
            Alpha = obj["lora_alpha"] is null ? 8 : Double(obj["lora_alpha"]!, "lora_alpha", path),
            Dropout = obj["lora_dropout"] is null ? 0 : Double(obj["lora_dropout"]!, "lora_dropout", path),
            Bias = obj["bias"] is null ? "none" : String(obj, "bias", path),
            UseRslora = obj["use_rslora"] is JsonNode rs && Bool(rs, "use_rslora", path),
        };
        config = obj["target_modules"] switch
        {
            JsonArray arr => config with { TargetModules = arr.Select(n => n is JsonValue v && v.TryGetValue(out string? s) ? s : throw new SiftException($"{path}: 'target_modules' must list strings, found {n?.ToJsonString() ?? "null"}")).ToList() },
            JsonValue v when v.TryGetValue(out string? s) => s == LoraConfig.AllLinear ? config with { TargetModules = [s] } : config with { TargetPattern = s },
            null => throw new SiftException($"{path}: 'target_modules' is missing; it names the projections the adapter was trained on"),
            var other => throw new SiftException($"{path}: 'target_modules' must be a list of names or a string, found {other.ToJsonString()}"),
        };
        config.Validate(path);
        var baseModel = obj["base_model_name_or_path"] is null ? null : String(obj, "base_model_name_or_path", path);
        return (config, baseModel);
    }

    /// <summary>alpha is an int in PEFT's config class; keep whole numbers whole in the JSON.</summary>
    private static JsonNode Number(double x) => x == Math.Floor(x) && Math.Abs(x) < int.MaxValue ? JsonValue.Create((int)x) : JsonValue.Create(x);

    private static bool IsSet(JsonNode? node) => node switch
    {
        null => false,
        JsonValue v when v.TryGetValue(out bool b) => b,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        _ => true,
    };

    private static string String(JsonObject obj, string key, string path) =>
        obj[key] is JsonValue v && v.TryGetValue(out string? s) ? s : throw new SiftException($"{path}: '{key}' must be a string, found {obj[key]?.ToJsonString() ?? "nothing"}");

    private static int Int(JsonObject obj, string key, string path)
    {
        var node = obj[key] ?? throw new SiftException($"{path}: required key '{key}' is missing");
        if (node is JsonValue v && v.TryGetValue(out double d) && d == Math.Floor(d) && d > 0 && d <= int.MaxValue) return (int)d;
        throw new SiftException($"{path}: '{key}' must be a positive integer, found {node.ToJsonString()}");
    }

    private static double Double(JsonNode node, string key, string path) =>
        node is JsonValue v && v.TryGetValue(out double d) ? d : throw new SiftException($"{path}: '{key}' must be a number, found {node.ToJsonString()}");

    private static bool Bool(JsonNode node, string key, string path) =>
        node is JsonValue v && v.TryGetValue(out bool b) ? b : throw new SiftException($"{path}: '{key}' must be true or false, found {node.ToJsonString()}");
}

using System.Text.Json;

namespace Sift.Eval;

/// <summary>One IFEval prompt: the instructions it gives, each with IFEval's keyword arguments.</summary>
public sealed record IfEvalPrompt(string Key, string Prompt, IReadOnlyList<string> InstructionIds, IReadOnlyList<JsonElement> Kwargs, string Source);

/// <summary>Reads IFEval's input_data.jsonl: one object per line with key, prompt, instruction_id_list and kwargs.</summary>
public static class IfEvalPrompts
{
    public static List<IfEvalPrompt> Read(string path)
    {
        if (!File.Exists(path)) throw new SiftException($"{path}: IFEval prompt file not found");
        var prompts = new List<IfEvalPrompt>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var source = $"{path}:{lineNumber}";
            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(line);
                root = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new SiftException($"{source}: malformed JSON ({e.Message}); each line must be one object {{key, prompt, instruction_id_list, kwargs}}");
            }
            if (root.ValueKind != JsonValueKind.Object) throw new SiftException($"{source}: expected a JSON object {{key, prompt, instruction_id_list, kwargs}}");
            var key = Field(root, "key", source) is { ValueKind: JsonValueKind.Number or JsonValueKind.String } k
                ? k.ToString() : throw new SiftException($"{source}: field 'key' must be a number or a string");
            if (!keys.Add(key)) throw new SiftException($"{source}: key {key} appears twice; keys must be unique");
            var prompt = Field(root, "prompt", source) is { ValueKind: JsonValueKind.String } p && p.GetString()!.Trim().Length > 0
                ? p.GetString()! : throw new SiftException($"{source}: field 'prompt' must be a non-empty string");
            var ids = Array(root, "instruction_id_list", source)
                .Select((e, i) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new SiftException($"{source}: instruction_id_list[{i}] must be a string"))
                .ToList();
            var kwargs = Array(root, "kwargs", source);
            if (kwargs.Count != ids.Count)
                throw new SiftException($"{source}: 'kwargs' has {kwargs.Count} entries but 'instruction_id_list' has {ids.Count}; give one object per instruction ({{}} when it takes none)");
            for (int i = 0; i < kwargs.Count; i++)
                if (kwargs[i].ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                    throw new SiftException($"{source}: kwargs[{i}] must be an object");
            prompts.Add(new IfEvalPrompt(key, prompt, ids, kwargs, source));
        }
        if (prompts.Count == 0) throw new SiftException($"{path}: no prompts in the file");
        return prompts;
    }

    private static JsonElement Field(JsonElement root, string name, string source) =>
        root.TryGetProperty(name, out var v) ? v : throw new SiftException($"{source}: field '{name}' is missing");

    private static List<JsonElement> Array(JsonElement root, string name, string source) =>
        Field(root, name, source) is { ValueKind: JsonValueKind.Array } a
            ? a.EnumerateArray().ToList()
            : throw new SiftException($"{source}: field '{name}' must be an array");
}

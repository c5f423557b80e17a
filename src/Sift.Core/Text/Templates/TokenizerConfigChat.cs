using System.Text.Json;

namespace Sift.Text.Templates;

/// <summary>The parts of a model's tokenizer_config.json that choose and fill its chat template.</summary>
internal sealed record TokenizerConfigChat(string? ChatTemplate, SpecialTokenText Tokens)
{
    public const string FileName = "tokenizer_config.json";

    /// <summary>Reads <paramref name="path"/>; a missing file means no chat template and no special tokens.</summary>
    public static TokenizerConfigChat Read(string path)
    {
        if (!File.Exists(path)) return new TokenizerConfigChat(null, SpecialTokenText.None);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new SiftException(
                $"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message} Fix or replace the file.", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SiftException($"{path}: expected a JSON object at the top level, found {root.ValueKind}.");
            var template = root.TryGetProperty("chat_template", out var t) ? ReadTemplate(path, t) : null;
            var tokens = new SpecialTokenText(ReadToken(path, root, "bos_token"), ReadToken(path, root, "eos_token"));
            return new TokenizerConfigChat(template, tokens);
        }
    }

    private static string? ReadTemplate(string path, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Array:
                var names = new List<string>();
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Object
                        || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                        || !item.TryGetProperty("template", out var text) || text.ValueKind != JsonValueKind.String)
                        throw new SiftException(
                            $"{path}: field 'chat_template' is a list whose items must be objects with string fields 'name' and 'template'.");
                    if (name.GetString() == "default") return text.GetString();
                    names.Add(name.GetString()!);
                }
                throw new SiftException(
                    $"{path}: field 'chat_template' lists templates [{string.Join(", ", names)}] but none named 'default'; " +
                    "name the chat template to use explicitly.");
            default:
                throw new SiftException(
                    $"{path}: field 'chat_template' must be a string or a list of {{name, template}} objects, found {value.ValueKind}.");
        }
    }

    private static string? ReadToken(string path, JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
                => content.GetString(),
            _ => throw new SiftException(
                $"{path}: field '{field}' must be a string or an object with a string 'content', found {value.ValueKind}."),
        };
    }
}

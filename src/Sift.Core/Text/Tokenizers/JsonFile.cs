using System.Text.Json;

namespace Sift.Text.Tokenizers;

/// <summary>Reading the small JSON files of a model folder, with errors that name the file and line.</summary>
internal static class JsonFile
{
    public static JsonDocument Parse(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SiftException($"{path}: cannot be read ({e.Message}); check the file exists and is readable.", e);
        }
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new SiftException($"{path}: line {(e.LineNumber ?? 0) + 1}: not valid JSON ({e.Message}); restore the file from the model's original files.", e);
        }
    }

    public static JsonElement? Property(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static string? StringProperty(this JsonElement element, string name) =>
        element.Property(name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static bool? BoolProperty(this JsonElement element, string name) =>
        element.Property(name) is { } value && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    /// <summary>A token written either as "&lt;s&gt;" or as {"content": "&lt;s&gt;", ...}.</summary>
    public static string? TokenProperty(this JsonElement element, string name) => element.Property(name) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Object } o => o.StringProperty("content"),
        _ => null,
    };

    /// <summary>An id written as 2 or as [2, 32000]; empty when absent.</summary>
    public static List<int> IdsProperty(this JsonElement element, string name, string path)
    {
        var ids = new List<int>();
        switch (element.Property(name))
        {
            case null: break;
            case { ValueKind: JsonValueKind.Number } n: ids.Add(ReadId(n, name, path)); break;
            case { ValueKind: JsonValueKind.Array } a:
                foreach (var item in a.EnumerateArray()) ids.Add(ReadId(item, name, path));
                break;
            default: throw new SiftException($"{path}: \"{name}\" must be a token id or a list of ids.");
        }
        return ids;
    }

    private static int ReadId(JsonElement value, string name, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var id) && id >= 0
            ? id
            : throw new SiftException($"{path}: \"{name}\" holds {value.GetRawText()}, which is not a token id (a whole number ≥ 0).");
}

using System.Globalization;
using System.Text.Json;

namespace Sift.Data.Layouts;

/// <summary>
/// Typed, strict access to the fields of one JSON record. An optional field that is null counts as
/// absent; a required one is reported as null, not as missing, so the message matches the file.
/// </summary>
internal static class RecordFields
{
    public static string? OptionalString(JsonElement obj, string name, string label)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return AsString(value, label);
    }

    public static string RequiredString(JsonElement obj, string name, string label)
    {
        RequirePresent(obj, name, label, "a string");
        return AsString(obj.GetProperty(name), label);
    }

    public static string AsString(JsonElement value, string label)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw new InvalidRecordException(label, $"field '{label}' must be a string, found {Describe(value.ValueKind)}");
        string text;
        try { text = value.GetString()!; }
        catch (InvalidOperationException)
        {
            throw new InvalidRecordException(label, $"field '{label}' is not valid UTF-8");
        }
        if (text.Contains('\0'))
            throw new InvalidRecordException(label, $"field '{label}' contains a NUL character (\\u0000) at index {text.IndexOf('\0')}");
        return text;
    }

    public static JsonElement RequiredArray(JsonElement obj, string name, string label)
    {
        RequirePresent(obj, name, label, "a list");
        var value = obj.GetProperty(name);
        if (value.ValueKind != JsonValueKind.Array)
            throw new InvalidRecordException(label, $"field '{label}' must be a list, found {Describe(value.ValueKind)}");
        return value;
    }

    private static void RequirePresent(JsonElement obj, string name, string label, string expected)
    {
        if (!obj.TryGetProperty(name, out var value)) throw new InvalidRecordException(label, $"missing field '{label}'");
        if (value.ValueKind == JsonValueKind.Null) throw new InvalidRecordException(label, $"field '{label}' is null; it must be {expected}");
    }

    public static void RequireObject(JsonElement value, string label)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidRecordException(label, $"'{label}' must be an object, found {Describe(value.ValueKind)}");
    }

    /// <summary>A given id: a non-empty string, or an integer written as its decimal digits.</summary>
    public static string? OptionalId(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (value.TryGetInt64(out var n)) return n.ToString(CultureInfo.InvariantCulture);
            throw new InvalidRecordException(name, $"field '{name}' must be a string or an integer, found {value.GetRawText()}");
        }
        var id = AsString(value, name);
        if (id.Length == 0 || string.IsNullOrWhiteSpace(id))
            throw new InvalidRecordException(name, $"field '{name}' is empty; give every example an id or remove the field to use content hashes");
        return id;
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}

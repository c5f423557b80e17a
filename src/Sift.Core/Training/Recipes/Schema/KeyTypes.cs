using System.Globalization;

namespace Sift.Training.Recipes.Schema;

/// <summary>The value types of recipe keys (<see cref="KeyType{T}"/>), spelled as the resolved recipe has always spelled them.</summary>
public static class KeyTypes
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static readonly KeyType<double> Number = Parsed<double>("number", "a number",
        s => double.TryParse(s, NumberStyles.Float, Invariant, out var d) ? d : null, d => d.ToString("R", Invariant));

    public static readonly KeyType<int> Int = Parsed<int>("whole number", "a whole number",
        s => int.TryParse(s, NumberStyles.Integer, Invariant, out var i) ? i : null, i => i.ToString(Invariant));

    public static readonly KeyType<long> Long = Parsed<long>("whole number", "a whole number",
        s => long.TryParse(s, NumberStyles.Integer, Invariant, out var l) ? l : null, l => l.ToString(Invariant));

    public static readonly KeyType<bool> Flag = Parsed<bool>("true/false", "true or false", s => s.ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => (bool?)null,
    }, b => b ? "true" : "false");

    /// <summary><paramref name="type"/> or unset (null), for keys written only when set.</summary>
    public static KeyType<T?> Optional<T>(KeyType<T> type) where T : struct =>
        new(type.Name, (s, where) => type.Parse(s, where), v => v is { } x ? type.Format(x) : "null");

    /// <summary>A string, written quoted (null as null).</summary>
    public static readonly KeyType<string?> Quoted = new("text", (s, _) => s, s => s == null ? "null" : Quote(s));

    /// <summary>A YAML scalar passed on as written (model_config values, parsed as JSON when the model is built).</summary>
    public static readonly KeyType<string?> Verbatim = new("value", (s, _) => s, s => s ?? "null");

    /// <summary>Comma-separated items (a YAML list is read as one); written as one quoted string.</summary>
    public static readonly KeyType<IReadOnlyList<string>> List = new("list",
        (s, _) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => Quote(string.Join(",", l)));

    /// <summary>One of <paramref name="names"/> (case-insensitive), written as <paramref name="canonical"/> names it.</summary>
    public static KeyType<T> Choice<T>(IReadOnlyDictionary<string, T> names, Func<T, string> canonical) =>
        new(string.Join(" | ", names.Values.Select(canonical).Distinct()),
            (s, where) => names.TryGetValue(s.Trim().ToLowerInvariant(), out var v) ? v : throw Expected(where, "one of " + string.Join(", ", names.Keys), s),
            v => Quote(canonical(v)));

    public static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static KeyType<T> Parsed<T>(string name, string expected, Func<string, T?> tryParse, Func<T, string> format) where T : struct =>
        new(name, (s, where) => tryParse(s.Trim()) ?? throw Expected(where, expected, s), format);

    private static SiftException Expected(string where, string expected, string text) => new($"{where}: expected {expected}, got '{text}'");
}

using YamlDotNet.RepresentationModel;

namespace Sift.Config;

/// <summary>
/// A YAML recipe as a tree of dotted keys ("optimizer.learning_rate") to scalar strings, with where
/// each came from (file:line, or the command-line override). It remembers which keys were read (a
/// schema reads every key it knows and types the text), so unknown or misspelled keys are reported, not ignored.
/// </summary>
public sealed class ConfigTree
{
    private readonly Dictionary<string, (string? Value, string Origin)> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public static ConfigTree Empty() => new();

    public static ConfigTree Load(string path)
    {
        if (!File.Exists(path)) throw new SiftException($"{path}: recipe file not found");
        var tree = new ConfigTree();
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new SiftException($"{path}:{e.Start.Line}: not valid YAML ({e.Message})", e);
        }
        if (yaml.Documents.Count == 0) return tree;
        if (yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new SiftException($"{path}: the recipe must be a mapping of settings (key: value)");
        tree.Add(root, "", path);
        return tree;
    }

    private void Add(YamlMappingNode node, string prefix, string path)
    {
        foreach (var (keyNode, valueNode) in node.Children)
        {
            var key = prefix + ((YamlScalarNode)keyNode).Value;
            var origin = $"{path}:{keyNode.Start.Line}";
            switch (valueNode)
            {
                case YamlMappingNode map: Add(map, key + ".", path); break;
                case YamlScalarNode scalar: _values[key] = (IsNull(scalar) ? null : scalar.Value, origin); break;
                case YamlSequenceNode seq:
                    _values[key] = (string.Join(",", seq.Children.Select(c => c is YamlScalarNode s ? s.Value
                        : throw new SiftException($"{origin}: {key}: list items must be plain values"))), origin);
                    break;
            }
        }
    }

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == YamlDotNet.Core.ScalarStyle.Plain && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>Applies a command-line override "key=value" (dotted key).</summary>
    public void Set(string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new SiftException($"--set '{assignment}': expected key=value, e.g. optimizer.learning_rate=1e-4");
        var value = assignment[(eq + 1)..];
        _values[assignment[..eq].Trim()] = (value is "null" or "~" ? null : value, SetOrigin);
    }

    public void Set(string key, string? value, string origin) => _values[key] = (value, origin);

    /// <summary>The origin of a value given by --set KEY=VALUE.</summary>
    public const string SetOrigin = "--set";

    /// <summary>Where a key's value came from (file:line, "--set", "--data", ...), or null when it is not set.</summary>
    public string? Origin(string key) => _values.TryGetValue(key, out var v) ? v.Origin : null;

    public bool Has(string key) => _values.ContainsKey(key) && _values[key].Value != null;

    /// <summary>The key's text (null when unset or YAML null), marking it read.</summary>
    public string? String(string key)
    {
        _read.Add(key);
        return _values.TryGetValue(key, out var v) ? v.Value : null;
    }

    /// <summary>Fails on keys nothing read, suggesting the nearest known key (<see cref="KeySuggestion"/>).</summary>
    public void RejectUnknown()
    {
        foreach (var (key, (_, origin)) in _values)
        {
            if (_read.Contains(key)) continue;
            var closest = KeySuggestion.Closest(key, _read);
            throw new SiftException($"{origin}: unknown setting '{key}'" + (closest != null ? $"; did you mean '{closest}'?" : ""));
        }
    }
}

namespace Sift.Config;

/// <summary>
/// The nearest valid setting for a misspelled or abbreviated one (the single place for this logic:
/// recipe files and --set overrides both go through <see cref="ConfigTree.RejectUnknown"/>).
/// </summary>
public static class KeySuggestion
{
    /// <summary>Edit distance up to which a key counts as a misspelling of another.</summary>
    public const int MaxDistance = 4;

    /// <summary>
    /// A key of <paramref name="known"/> that <paramref name="key"/> most likely means, or null: one within
    /// <see cref="MaxDistance"/> edits, else one of the same section whose name the key abbreviates
    /// (initials, "lr" for learning_rate; a prefix, "warmup" for warmup_ratio; or a whole word of it,
    /// "epochs" for num_train_epochs).
    /// </summary>
    public static string? Closest(string key, IEnumerable<string> known)
    {
        var candidates = known.Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        var nearest = candidates.OrderBy(k => Distance(k, key)).FirstOrDefault();
        if (nearest != null && Distance(nearest, key) <= MaxDistance) return nearest;
        var (section, name) = Split(key);
        if (name.Length < 2) return null;
        return candidates
            .Where(k => Split(k).Section == section && Abbreviates(name, Split(k).Name))
            .OrderBy(k => Distance(k, key))
            .FirstOrDefault();
    }

    private static bool Abbreviates(string shortName, string name)
    {
        var words = name.Split('_', StringSplitOptions.RemoveEmptyEntries);
        return string.Concat(words.Select(w => w[0])) == shortName
               || name.StartsWith(shortName, StringComparison.Ordinal)
               || words.Contains(shortName)
               || (shortName.Length >= 4 && name.Contains(shortName, StringComparison.Ordinal));
    }

    private static (string Section, string Name) Split(string key)
    {
        int dot = key.LastIndexOf('.');
        return dot < 0 ? ("", key) : (key[..dot], key[(dot + 1)..]);
    }

    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}

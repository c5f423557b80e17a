namespace Sift.Text.Tokenizers;

/// <summary>
/// Finds added tokens (chat markers, BOS/EOS) in text: scanning left to right, at each position the
/// longest added token that starts there wins, like Hugging Face's added-token splitting.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, string[]> _byFirstChar;

    public AddedTokenMatcher(IEnumerable<string> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Length > 0).Distinct(StringComparer.Ordinal)
            .GroupBy(t => t[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Length).ToArray());
    }

    /// <summary>Consecutive stretches covering the text: (start, length, whether it is an added token).</summary>
    public IEnumerable<(int Start, int Length, bool IsAdded)> Segments(string text)
    {
        int plainStart = 0;
        for (int i = 0; i < text.Length;)
        {
            var match = MatchAt(text.AsSpan(i));
            if (match == null) { i++; continue; }
            if (i > plainStart) yield return (plainStart, i - plainStart, false);
            yield return (i, match.Length, true);
            i += match.Length;
            plainStart = i;
        }
        if (plainStart < text.Length) yield return (plainStart, text.Length - plainStart, false);
    }

    /// <summary>The longest token that <paramref name="text"/> starts with, or null.</summary>
    public string? MatchAt(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || !_byFirstChar.TryGetValue(text[0], out var candidates)) return null;
        foreach (var token in candidates)
            if (text.StartsWith(token, StringComparison.Ordinal)) return token;
        return null;
    }
}

namespace Sift.Text.Tokenizers;

/// <summary>
/// SentencePiece's identity normalization, which only concerns spaces: with remove_extra_whitespaces
/// leading and trailing spaces go and runs of spaces shrink to one; with escape_whitespaces spaces
/// become "▁"; with add_dummy_prefix the first ordinary stretch of the text (after any added tokens
/// it starts with) gets a "▁" in front.
/// </summary>
internal sealed class SentencePieceSpaces(bool addDummyPrefix, bool removeExtraWhitespaces, bool escapeWhitespaces)
{
    private readonly char _space = escapeWhitespaces ? '\u2581' : ' ';

    public bool AddDummyPrefix => addDummyPrefix;
    public bool RemoveExtraWhitespaces => removeExtraWhitespaces;

    /// <summary>The text without the leading and trailing spaces that remove_extra_whitespaces drops.</summary>
    public string Trim(string text) => removeExtraWhitespaces ? text.Trim(' ') : text;

    /// <summary>Writes the normalized form of an ordinary stretch (no added tokens in it) to <paramref name="into"/>, which holds at least stretch.Length + 1 chars; returns its length.</summary>
    public int Normalize(ReadOnlySpan<char> stretch, bool isFirstStretch, Span<char> into)
    {
        int n = 0;
        if (addDummyPrefix && isFirstStretch) into[n++] = _space;
        for (int i = 0; i < stretch.Length; i++)
        {
            if (stretch[i] != ' ') { into[n++] = stretch[i]; continue; }
            into[n++] = _space;
            if (removeExtraWhitespaces) while (i + 1 < stretch.Length && stretch[i + 1] == ' ') i++;
        }
        return n;
    }
}

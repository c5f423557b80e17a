namespace Sift.Text;

/// <summary>A token's place in the encoded text: the characters [Start, End) of the string given to the encoder.</summary>
public readonly record struct TokenSpan(int Start, int End)
{
    public int Length => End - Start;
}

/// <summary>
/// Token ids with, for each, the characters of the text it came from. The spans cover the text
/// in order without gaps or overlaps, so concatenating text[Start..End] over all tokens gives the
/// text back. A character that takes several tokens (a byte-fallback or byte-level split of a
/// multi-byte character) belongs to the token that completes it; the tokens before it get the
/// empty span at the character's start. An added BOS gets the empty span [0, 0).
/// <see cref="EndsInsideCharacter"/> says which tokens hold the first bytes of such a character.
/// </summary>
public sealed class EncodedText
{
    public EncodedText(int[] ids, TokenSpan[] spans, bool[]? endsInsideCharacter = null)
    {
        if (ids.Length != spans.Length) throw new ArgumentException($"{ids.Length} ids but {spans.Length} spans.");
        endsInsideCharacter ??= new bool[ids.Length];
        if (endsInsideCharacter.Length != ids.Length) throw new ArgumentException($"{ids.Length} ids but {endsInsideCharacter.Length} character flags.");
        Ids = ids;
        Spans = spans;
        EndsInsideCharacter = endsInsideCharacter;
    }

    public int[] Ids { get; }
    public TokenSpan[] Spans { get; }

    /// <summary>
    /// Per token: its bytes end inside the character that starts at its span's End, whose
    /// remaining bytes come in later tokens. Byte-level BPE does this ("Ġâ" holds a space and the
    /// first byte of "„"), and so do byte-fallback tokens (always with an empty span).
    /// </summary>
    public bool[] EndsInsideCharacter { get; }

    public int Count => Ids.Length;

    /// <summary>
    /// The tokens that lie within the characters [start, end): those with start ≤ Start &lt; end and
    /// End ≤ end. Because spans are in order, they form one run of token indices. When start and end
    /// are token boundaries, these tokens decode to exactly text[start..end].
    /// </summary>
    public Range TokensWithin(int start, int end)
    {
        if (start < 0 || end < start) throw new ArgumentOutOfRangeException(nameof(start), $"[{start}, {end}) is not a character range.");
        int first = 0;
        while (first < Spans.Length && Spans[first].Start < start) first++;
        int stop = first;
        while (stop < Spans.Length && Spans[stop].Start < end && Spans[stop].End <= end) stop++;
        return first..stop;
    }
}

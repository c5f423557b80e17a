using System.Globalization;
using System.Text;

namespace Sift.Text.Tokenizers;

/// <summary>
/// Works out which characters each token came from by laying the tokens' bytes along the text's
/// UTF-8 bytes. This is exact by construction (the tokens' bytes are the text's bytes), whatever the
/// tokenizer family, and gives byte-fallback and byte-level tokens sensible spans.
/// </summary>
internal static class TokenSpanAligner
{
    /// <param name="text">the string the caller passed.</param>
    /// <param name="normalized">the string the tokenizer saw (NFC for some tokenizers; usually the same as text).</param>
    /// <param name="addedContent">the text of an added token for its id, or null for an ordinary token.</param>
    /// <param name="tokenBytes">the bytes of an ordinary token.</param>
    /// <param name="dummyPrefix">SentencePiece: the first ordinary token starts with a space that is not in the text.</param>
    /// <param name="spacesDropped">SentencePiece with remove_extra_whitespaces: spaces of the text may be missing from the tokens.</param>
    /// <returns>each token's span, and whether its bytes end inside a character (the one starting at its span's end).</returns>
    public static (TokenSpan[] Spans, bool[] EndsInsideCharacter) Align(string text, string normalized, IReadOnlyList<int> ids,
        Func<int, string?> addedContent, Func<int, byte[]?> tokenBytes, bool dummyPrefix, bool spacesDropped)
    {
        var bytes = Encoding.UTF8.GetBytes(normalized);
        var byteSpans = new (int Start, int End)[ids.Count];
        int cursor = 0;
        bool firstOrdinary = true;
        for (int t = 0; t < ids.Count; t++)
        {
            ReadOnlySpan<byte> token;
            if (addedContent(ids[t]) is { } content) token = Encoding.UTF8.GetBytes(content);
            else
            {
                token = tokenBytes(ids[t]) ?? throw Mismatch(ids, t, cursor, normalized, "has no bytes");
                if (dummyPrefix && firstOrdinary && token.Length > 0 && token[0] == (byte)' ') token = token[1..];
                firstOrdinary = false;
            }
            int start = cursor;
            // Spaces the tokenizer dropped belong to the token after them, so the spans still tile the text.
            while (spacesDropped && !bytes.AsSpan(cursor).StartsWith(token) && cursor < bytes.Length && bytes[cursor] == (byte)' ') cursor++;
            if (!bytes.AsSpan(cursor).StartsWith(token)) throw Mismatch(ids, t, cursor, normalized, "does not match the text there");
            cursor += token.Length;
            byteSpans[t] = (start, cursor);
        }
        if (spacesDropped)
            while (cursor < bytes.Length && bytes[cursor] == (byte)' ')
            {
                cursor++;
                if (ids.Count > 0) byteSpans[^1].End = cursor;
            }
        if (cursor != bytes.Length) throw Mismatch(ids, ids.Count, cursor, normalized, "end before the text does");

        var (charAt, boundary) = CompletedCharsByByte(normalized, bytes.Length);
        var toText = ReferenceEquals(text, normalized) || text == normalized ? null : NormalizedToTextPositions(text, normalized);
        var spans = new TokenSpan[ids.Count];
        var inside = new bool[ids.Count];
        for (int t = 0; t < ids.Count; t++)
        {
            int start = charAt[byteSpans[t].Start], end = charAt[byteSpans[t].End];
            spans[t] = toText == null ? new TokenSpan(start, end) : new TokenSpan(toText[start], toText[end]);
            inside[t] = !boundary[byteSpans[t].End];
        }
        return (spans, inside);
    }

    /// <summary>
    /// For each byte position b, the char index just after the last character whose bytes all lie
    /// before b, and whether b is a character boundary.
    /// </summary>
    private static (int[] CharAt, bool[] Boundary) CompletedCharsByByte(string s, int byteCount)
    {
        var result = new int[byteCount + 1];
        var boundary = new bool[byteCount + 1];
        boundary[0] = true;
        int b = 0;
        for (int c = 0; c < s.Length;)
        {
            int units = char.IsSurrogatePair(s, c) ? 2 : 1;
            int n = Encoding.UTF8.GetByteCount(s.AsSpan(c, units));
            for (int k = 1; k < n; k++) result[b + k] = c;
            b += n;
            c += units;
            result[b] = c;
            boundary[b] = true;
        }
        return (result, boundary);
    }

    /// <summary>
    /// Maps char positions of the NFC form back to the original text, text element by text element
    /// (NFC does not compose across them). A position inside an element's normal form maps to the
    /// element's end, so the token that completes the element owns it.
    /// </summary>
    private static int[] NormalizedToTextPositions(string text, string normalized)
    {
        var map = new int[normalized.Length + 1];
        int n = 0;
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var element = (string)elements.Current;
            int textStart = elements.ElementIndex, textEnd = textStart + element.Length;
            var norm = UnicodeNfc.Normalize(element);
            if (n + norm.Length > normalized.Length || string.CompareOrdinal(normalized, n, norm, 0, norm.Length) != 0)
                return Proportional(text.Length, normalized.Length);
            map[n] = textStart;
            for (int k = 1; k <= norm.Length; k++) map[n + k] = textEnd;
            n += norm.Length;
        }
        return n == normalized.Length ? map : Proportional(text.Length, normalized.Length);
    }

    /// <summary>Last resort if element-wise NFC ever differed from whole-text NFC: keeps spans ordered and inside the text.</summary>
    private static int[] Proportional(int textLength, int normalizedLength) =>
        Enumerable.Range(0, normalizedLength + 1).Select(p => normalizedLength == 0 ? 0 : (int)((long)p * textLength / normalizedLength)).ToArray();

    private static InvalidOperationException Mismatch(IReadOnlyList<int> ids, int t, int cursor, string text, string what) =>
        new($"Token {t} (id {(t < ids.Count ? ids[t] : -1)}) {what} at byte {cursor} of a {text.Length}-character text; the tokenizer's output does not spell the text. This is a bug in Sift's tokenizer support.");
}

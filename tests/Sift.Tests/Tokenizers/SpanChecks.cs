using Sift.Text;

namespace Sift.Tests.Tokenizers;

/// <summary>Checks of EncodeWithOffsets that hold for every tokenizer family.</summary>
internal static class SpanChecks
{
    /// <param name="dummySpace">SentencePiece: decoding a run from the middle drops the leading space of its first "▁" token.</param>
    /// <param name="canonical">for tokenizers that drop characters (extra spaces): compares decoded and expected text in this form.</param>
    public static void AssertExact(ModelTokenizer tokenizer, string text, bool dummySpace = false, Func<string, string>? canonical = null)
    {
        canonical ??= s => s;
        var encoded = tokenizer.EncodeWithOffsets(text, addBos: false);
        Assert.Equal(tokenizer.Encode(text, addBos: false), encoded.Ids);
        if (encoded.Count == 0)
        {
            Assert.Equal("", canonical(text));   // only text the tokenizer drops entirely gives no tokens
            return;
        }

        // The spans tile the text in order: concatenating them gives the text back.
        int at = 0;
        foreach (var span in encoded.Spans)
        {
            Assert.Equal(at, span.Start);
            Assert.True(span.End >= span.Start && span.End <= text.Length, $"span {span} outside \"{text}\"");
            at = span.End;
        }
        Assert.Equal(text.Length, at);
        Assert.Equal(text, string.Concat(encoded.Spans.Select(s => text[s.Start..s.End])));

        // Boundaries where the ids decoded so far are exactly a prefix of the text (found without the spans):
        // the tokens within any two such boundaries decode to exactly that substring.
        var boundaries = new List<int>();
        for (int k = 0; k <= encoded.Count; k++)
        {
            int position = k < encoded.Count ? encoded.Spans[k].Start : text.Length;
            if (canonical(tokenizer.Decode(encoded.Ids[..k])) == canonical(text[..position])) boundaries.Add(position);
        }
        Assert.Contains(text.Length, boundaries);
        foreach (var from in boundaries.Distinct())
            foreach (var to in boundaries.Distinct().Where(b => b > from))
            {
                var expected = text[from..to];
                var decoded = tokenizer.Decode(encoded.Ids[encoded.TokensWithin(from, to)]);
                bool same = canonical(decoded) == canonical(expected) || (dummySpace && from > 0 && " " + decoded == expected);
                Assert.True(same, $"tokens within [{from}, {to}) of \"{text}\" decode to \"{decoded}\", not \"{expected}\"");
            }
    }

    /// <summary>Pushing ids one by one gives the same text as Decode, and never a U+FFFD the full decode lacks.</summary>
    public static void AssertStreamingMatchesDecode(ModelTokenizer tokenizer, int[] ids, bool skipSpecialTokens = false)
    {
        var decoder = tokenizer.CreateStreamingDecoder(skipSpecialTokens);
        var pieces = ids.Select(decoder.Push).ToList();
        pieces.Add(decoder.Flush());
        var full = tokenizer.Decode(ids, skipSpecialTokens);
        Assert.Equal(full, string.Concat(pieces));
        if (!full.Contains('\uFFFD')) Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
    }
}

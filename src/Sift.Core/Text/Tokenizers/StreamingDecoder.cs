using System.Text;

namespace Sift.Text;

/// <summary>
/// Decodes ids one at a time, as a model generates them, and returns only text that is complete:
/// bytes of a character split across tokens are held back until its last byte arrives, so no
/// U+FFFD appears in the middle of a multi-byte character. The concatenation of everything
/// <see cref="Push"/> and <see cref="Flush"/> return equals <see cref="ModelTokenizer.Decode"/> of all ids.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly ModelTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();
    private bool _beforeFirstOrdinary = true;

    internal StreamingDecoder(ModelTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>The text completed by this id (possibly empty).</summary>
    public string Push(int id)
    {
        var bytes = _tokenizer.DecodedBytes(id, _skipSpecialTokens, ref _beforeFirstOrdinary);
        return Decode(bytes, flush: false);
    }

    /// <summary>Ends the stream: bytes of an unfinished character come out as U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(byte[] bytes, bool flush)
    {
        var chars = new char[_utf8.GetCharCount(bytes, flush)];
        int n = _utf8.GetChars(bytes, chars, flush);
        return new string(chars, 0, n);
    }
}

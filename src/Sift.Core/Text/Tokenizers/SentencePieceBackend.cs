using System.Collections.Concurrent;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Sift.Text.Tokenizers;

/// <summary>
/// A SentencePiece BPE model (tokenizer.model of Llama 2, TinyLlama, Mistral, llama2.c) through LlamaTokenizer.
/// <para>Word by word, with a cache: when no vocabulary piece joins a non-space character to a
/// following "▁" (checked at load; true of Llama 2 and llama2.c's models), no BPE merge can cross
/// the start of a word (a run of spaces and the characters after it), so a text's ids are its words'
/// ids one after another, and each distinct word is encoded once (tests: the same ids as whole-text
/// encoding on every line of Alpaca-2K and 2,000 GSM8K records). Texts with special-token text, a
/// literal "▁" or trailing spaces, and models that remove extra spaces, are encoded whole.</para>
/// </summary>
internal sealed class SentencePieceBackend : TokenizerBackend
{
    private const int MaxCachedWords = 200_000;

    private readonly SentencePieceTokenizer _tokenizer;
    private readonly string[] _pieces;
    private readonly Dictionary<string, int> _added;
    private readonly string _file;
    private readonly bool _wordByWord;
    private readonly ConcurrentDictionary<string, int[]> _words = new(StringComparer.Ordinal);

    private SentencePieceBackend(SentencePieceTokenizer tokenizer, string[] pieces, Dictionary<string, int> added, string file, bool wordCache)
    {
        _tokenizer = tokenizer;
        _pieces = pieces;
        _added = added;
        _file = file;
        _wordByWord = wordCache && tokenizer.AddDummyPrefix && tokenizer.EscapeWhiteSpaces && !tokenizer.TreatWhitespaceAsSuffix && !RemovesExtraSpaces &&
                      !pieces.Any(p => p != null && JoinsWordStart(p));
    }

    /// <summary>A piece with "▁" after some other character, which could merge across a word start.</summary>
    private static bool JoinsWordStart(string piece)
    {
        for (int i = 1; i < piece.Length; i++)
            if (piece[i] == '\u2581' && piece[i - 1] != '\u2581') return true;
        return false;
    }

    /// <param name="extraAddedTokens">added tokens declared in tokenizer_config.json (content → id), matched in text as well.</param>
    /// <param name="wordCache">Encode word by word through the cache where that is exact (tests compare both ways).</param>
    public static SentencePieceBackend Load(string file, IReadOnlyDictionary<string, int> extraAddedTokens, bool wordCache = true)
    {
        // First pass only to learn the control tokens' ids, which the second pass must match in text.
        SentencePieceTokenizer probe;
        using (var stream = File.OpenRead(file)) probe = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(string? token, int id) { if (!string.IsNullOrEmpty(token) && id >= 0) added[token] = id; }
        Add(probe.UnknownToken, probe.UnknownId);
        Add(probe.BeginningOfSentenceToken, probe.BeginningOfSentenceId);
        Add(probe.EndOfSentenceToken, probe.EndOfSentenceId);
        foreach (var (content, id) in extraAddedTokens) added[content] = id;

        SentencePieceTokenizer tokenizer;
        using (var stream = File.OpenRead(file)) tokenizer = LlamaTokenizer.Create(stream, false, false, added);

        var pieces = new string[tokenizer.Vocabulary.Values.Max() + 1];
        foreach (var (piece, id) in tokenizer.Vocabulary) pieces[id] = piece;
        return new SentencePieceBackend(tokenizer, pieces, added, file, wordCache);
    }

    public override string Description => $"SentencePiece model {_file}";
    public override IReadOnlyDictionary<string, int> AddedTokens => _added;
    public override int MaxVocabularyId => _pieces.Length - 1;
    public override bool AddsDummyPrefix => _tokenizer.AddDummyPrefix;
    public override bool RemovesExtraSpaces => (_tokenizer.Normalizer as SentencePieceNormalizer)?.RemoveExtraWhiteSpaces ?? false;

    public override int[] EncodeIds(string text)
    {
        if (!_wordByWord || text.Length == 0 || text[^1] == ' ' || text.Contains('\u2581') || _added.Keys.Any(text.Contains)) return EncodeWhole(text);
        var ids = new List<int>(text.Length / 3 + 1);
        int start = 0;
        for (int i = 1; i <= text.Length; i++)
        {
            if (i < text.Length && (text[i] != ' ' || text[i - 1] == ' ')) continue;
            // The dummy prefix supplies the first word's "▁" and each later word's first space.
            var word = start == 0 ? text[..i] : text[(start + 1)..i];
            if (!_words.TryGetValue(word, out var wordIds))
            {
                wordIds = EncodeWhole(word);
                if (_words.Count < MaxCachedWords) _words.TryAdd(word, wordIds);
            }
            ids.AddRange(wordIds);
            start = i;
        }
        return [.. ids];
    }

    private int[] EncodeWhole(string text)
    {
        int[] ids = [.. _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false)];
        // Microsoft.ML.Tokenizers 2.0.1 returns no ids for a text of one character (spaces around it
        // aside) when the model removes extra whitespace; behind a special token it encodes it right.
        if (ids.Length == 0 && RemovesExtraSpaces && text.Trim(' ').Length > 0 && _added.TryGetValue(_tokenizer.BeginningOfSentenceToken, out var bos))
        {
            var behindBos = _tokenizer.EncodeToIds(_tokenizer.BeginningOfSentenceToken + text.Trim(' '), false, false);
            if (behindBos.Count > 0 && behindBos[0] == bos) ids = [.. behindBos.Skip(1)];
        }
        return ids;
    }

    public override string? VocabularyEntry(int id) => id >= 0 && id < _pieces.Length ? _pieces[id] : null;

    public override byte[]? TokenBytes(int id)
    {
        var piece = VocabularyEntry(id);
        if (piece == null) return null;
        if (_tokenizer.ByteFallback && IsBytePiece(piece)) return [Convert.ToByte(piece.Substring(3, 2), 16)];
        return Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
    }

    /// <summary>Byte-fallback pieces are spelled "&lt;0xAB&gt;".</summary>
    private static bool IsBytePiece(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' &&
        Uri.IsHexDigit(piece[3]) && Uri.IsHexDigit(piece[4]);
}

using System.Text;
using Microsoft.ML.Tokenizers;

namespace Sift.Text.Tokenizers;

/// <summary>A SentencePiece BPE model (tokenizer.model of Llama 2, TinyLlama, Mistral, llama2.c) through LlamaTokenizer.</summary>
internal sealed class SentencePieceBackend : TokenizerBackend
{
    private readonly SentencePieceTokenizer _tokenizer;
    private readonly string[] _pieces;
    private readonly Dictionary<string, int> _added;
    private readonly string _file;

    private SentencePieceBackend(SentencePieceTokenizer tokenizer, string[] pieces, Dictionary<string, int> added, string file)
    {
        _tokenizer = tokenizer;
        _pieces = pieces;
        _added = added;
        _file = file;
    }

    /// <param name="extraAddedTokens">added tokens declared in tokenizer_config.json (content → id), matched in text as well.</param>
    public static SentencePieceBackend Load(string file, IReadOnlyDictionary<string, int> extraAddedTokens)
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
        return new SentencePieceBackend(tokenizer, pieces, added, file);
    }

    public override string Description => $"SentencePiece model {_file}";
    public override IReadOnlyDictionary<string, int> AddedTokens => _added;
    public override int MaxVocabularyId => _pieces.Length - 1;
    public override bool AddsDummyPrefix => _tokenizer.AddDummyPrefix;
    public override bool RemovesExtraSpaces => (_tokenizer.Normalizer as SentencePieceNormalizer)?.RemoveExtraWhiteSpaces ?? false;

    public override int[] EncodeIds(string text)
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

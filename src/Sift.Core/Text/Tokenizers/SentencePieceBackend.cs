using System.Buffers;
using System.Text;

namespace Sift.Text.Tokenizers;

/// <summary>
/// A SentencePiece BPE model (tokenizer.model of Llama 2, TinyLlama, Mistral, llama2.c). Added tokens
/// (&lt;unk&gt;, &lt;s&gt;, &lt;/s&gt; and tokenizer_config.json's) are matched in the text first; each
/// stretch between them is normalized (<see cref="SentencePieceSpaces"/>) and encoded by
/// <see cref="SentencePieceBpe"/>, which gives exactly spm_encode's ids.
/// </summary>
internal sealed class SentencePieceBackend : TokenizerBackend
{
    private readonly SentencePieceVocabulary _vocabulary;
    private readonly SentencePieceBpe _bpe;
    private readonly SentencePieceSpaces _spaces;
    private readonly string[] _pieces;
    private readonly Dictionary<string, int> _added;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _addedIds;
    private readonly AddedTokenMatcher _addedMatcher;
    private readonly string _file;

    private SentencePieceBackend(SentencePieceModelFile model, Dictionary<string, int> added)
    {
        _vocabulary = new SentencePieceVocabulary(model);
        _bpe = new SentencePieceBpe(_vocabulary);
        _spaces = new SentencePieceSpaces(model.AddDummyPrefix, model.RemoveExtraWhitespaces, model.EscapeWhitespaces);
        _pieces = [.. model.Pieces];
        _added = added;
        _addedIds = added.GetAlternateLookup<ReadOnlySpan<char>>();
        _addedMatcher = new AddedTokenMatcher(added.Keys);
        _file = model.Path;
    }

    /// <param name="extraAddedTokens">added tokens declared in tokenizer_config.json (content → id), matched in text as well.</param>
    public static SentencePieceBackend Load(string file, IReadOnlyDictionary<string, int> extraAddedTokens)
    {
        var model = SentencePieceModelFile.Read(file);
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(string token, int id) { if (token.Length > 0 && id >= 0) added[token] = id; }
        Add(model.UnkPiece, model.UnkId);
        Add(model.BosPiece, model.BosId);
        Add(model.EosPiece, model.EosId);
        foreach (var (content, id) in extraAddedTokens) added[content] = id;
        return new SentencePieceBackend(model, added);
    }

    public override string Description => $"SentencePiece model {_file}";
    public override IReadOnlyDictionary<string, int> AddedTokens => _added;
    public override int MaxVocabularyId => _pieces.Length - 1;
    public override bool AddsDummyPrefix => _spaces.AddDummyPrefix;
    public override bool RemovesExtraSpaces => _spaces.RemoveExtraWhitespaces;

    public override int[] EncodeIds(string text)
    {
        var trimmed = _spaces.Trim(text);
        var ids = new List<int>(trimmed.Length / 3 + 4);
        var normalized = ArrayPool<char>.Shared.Rent(trimmed.Length + 1);
        try
        {
            bool first = true;
            foreach (var (start, length, isAdded) in _addedMatcher.Segments(trimmed))
            {
                var stretch = trimmed.AsSpan(start, length);
                if (isAdded) { ids.Add(_addedIds[stretch]); continue; }
                _bpe.Encode(normalized.AsSpan(0, _spaces.Normalize(stretch, first, normalized)), ids);
                first = false;
            }
        }
        finally { ArrayPool<char>.Shared.Return(normalized); }
        return [.. ids];
    }

    public override string? VocabularyEntry(int id) => id >= 0 && id < _pieces.Length ? _pieces[id] : null;

    public override byte[]? TokenBytes(int id)
    {
        var piece = VocabularyEntry(id);
        if (piece == null) return null;
        if (_vocabulary.TryGetByte(id, out byte value)) return [value];
        return Encoding.UTF8.GetBytes(piece.Replace('\u2581', ' '));
    }
}

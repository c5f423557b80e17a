using System.Text;
using Microsoft.ML.Tokenizers;

namespace Sift.Text.Tokenizers;

/// <summary>A byte-level BPE tokenizer (GPT-2, Qwen2, SmolLM, Llama 3 tokenizer.json) through BpeTokenizer.</summary>
internal sealed class ByteLevelBpeBackend : TokenizerBackend
{
    private readonly BpeTokenizer _bpe;
    private readonly HfPreTokenizer _preTokenizer;
    private readonly string?[] _entries;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int> _added;
    private readonly bool _ignoreMerges;
    private readonly bool _nfc;
    private readonly string _file;

    public ByteLevelBpeBackend(string file, Dictionary<string, int> vocabulary, IEnumerable<string> merges,
        Dictionary<string, int> added, IReadOnlyList<PreTokenizerStep> steps, bool ignoreMerges, bool nfc)
    {
        _file = file;
        _vocabulary = vocabulary;
        _added = added;
        _ignoreMerges = ignoreMerges;
        _nfc = nfc;
        _preTokenizer = new HfPreTokenizer(steps, new AddedTokenMatcher(added.Keys));
        _bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = added,
            PreTokenizer = _preTokenizer,
        });
        _entries = new string?[vocabulary.Count == 0 ? 0 : vocabulary.Values.Max() + 1];
        foreach (var (entry, id) in vocabulary) _entries[id] = entry;
    }

    public override string Description => $"byte-level BPE {_file}";
    public override IReadOnlyDictionary<string, int> AddedTokens => _added;
    public override int MaxVocabularyId => _entries.Length - 1;
    public override string Normalize(string text) => _nfc ? UnicodeNfc.Normalize(text) : text;

    public override int[] EncodeIds(string text)
    {
        if (!_ignoreMerges) return [.. _bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false)];

        // ignore_merges (Llama 3): a piece that is a vocabulary entry as a whole is that one token,
        // even where the merges would not build it. BpeTokenizer has no such switch, so pieces go one by one.
        var ids = new List<int>(text.Length / 3 + 4);
        foreach (var (offset, length, isAdded) in _preTokenizer.PiecesWithKind(text))
        {
            var piece = text.Substring(offset, length);
            if (isAdded) { ids.Add(_added[piece]); continue; }
            if (_vocabulary.TryGetValue(ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(piece)), out var whole)) { ids.Add(whole); continue; }
            ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
        }
        return [.. ids];
    }

    public override string? VocabularyEntry(int id) => id >= 0 && id < _entries.Length ? _entries[id] : null;

    public override byte[]? TokenBytes(int id)
    {
        var entry = VocabularyEntry(id);
        return entry == null ? null : ByteLevelAlphabet.Decode(entry);
    }
}

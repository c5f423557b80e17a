using System.Text;
using Sift.Text.Tokenizers;

namespace Sift.Text;

/// <summary>
/// The tokenizer of a model folder in Hugging Face layout: text to ids and back, with the special
/// tokens the folder's config files name. Every stage of Sift uses this one class.
/// </summary>
public sealed class ModelTokenizer
{
    private readonly TokenizerBackend _backend;
    private readonly Dictionary<int, string> _addedById;
    private readonly HashSet<int> _specialIds;

    private ModelTokenizer(string modelDir, TokenizerBackend backend, IEnumerable<int> specialIds)
    {
        ModelDir = modelDir;
        _backend = backend;
        _addedById = backend.AddedTokens.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key);
        _specialIds = [.. specialIds];
        VocabSize = Math.Max(backend.MaxVocabularyId, _addedById.Keys.DefaultIfEmpty(-1).Max()) + 1;
    }

    /// <summary>The folder the tokenizer was loaded from.</summary>
    public string ModelDir { get; }

    /// <summary>Which file and which kind of tokenizer, e.g. "SentencePiece model /m/tokenizer.model".</summary>
    public string Description => _backend.Description;

    /// <summary>Largest id + 1, added tokens included.</summary>
    public int VocabSize { get; }

    public int? BosId { get; private set; }
    public int? EosId { get; private set; }
    public int? PadId { get; private set; }
    public string? BosToken { get; private set; }
    public string? EosToken { get; private set; }
    public string? PadToken { get; private set; }

    /// <summary>Ids that end generation: EOS, generation_config.json's eos_token_id(s), and Llama 3's &lt;|eot_id|&gt;.</summary>
    public IReadOnlySet<int> StopIds { get; private set; } = new HashSet<int>();

    /// <summary>Whether the model expects BOS in front of its input (add_bos_token, or what the tokenizer's post-processor adds).</summary>
    public bool AddBosByDefault { get; private set; }

    /// <summary>tokenizer_config.json's add_eos_token (false when not set).</summary>
    public bool AddEosByDefault { get; private set; }

    public static ModelTokenizer Load(string modelDir) => ModelTokenizerLoader.Load(modelDir);

    internal static ModelTokenizer Create(string modelDir, TokenizerBackend backend, IEnumerable<int> specialIds, SpecialTokenChoice choice)
    {
        var tokenizer = new ModelTokenizer(modelDir, backend, specialIds);
        tokenizer.Apply(choice);
        return tokenizer;
    }

    /// <summary>
    /// Ids of the text; special tokens written in the text ("&lt;s&gt;", "&lt;|im_start|&gt;") map to their ids.
    /// With <paramref name="addBos"/>, BOS is put in front unless the text already begins with it.
    /// </summary>
    public int[] Encode(string text, bool addBos) => EncodeWithOffsets(text, addBos, computeSpans: false).Ids;

    /// <summary>Ids with the characters of <paramref name="text"/> each came from; see <see cref="EncodedText"/>.</summary>
    public EncodedText EncodeWithOffsets(string text, bool addBos) => EncodeWithOffsets(text, addBos, computeSpans: true);

    private EncodedText EncodeWithOffsets(string text, bool addBos, bool computeSpans)
    {
        ArgumentNullException.ThrowIfNull(text);
        var normalized = _backend.Normalize(text);
        var ids = _backend.EncodeIds(normalized);
        var (spans, inside) = computeSpans
            ? TokenSpanAligner.Align(text, normalized, ids, AddedContent, _backend.TokenBytes, _backend.AddsDummyPrefix, _backend.RemovesExtraSpaces)
            : (new TokenSpan[ids.Length], new bool[ids.Length]);
        if (!addBos || (ids.Length > 0 && ids[0] == BosId)) return new EncodedText(ids, spans, inside);
        int bos = BosId ?? throw new SiftException(
            $"tokenizer in {ModelDir} has no BOS token, so it cannot be added; set bos_token in tokenizer_config.json or encode without BOS.");
        return new EncodedText([bos, .. ids], [new TokenSpan(0, 0), .. spans], [false, .. inside]);
    }

    /// <summary>
    /// Text of the ids. SentencePiece's leading "▁" space of the first ordinary token is dropped, as
    /// HF's LlamaTokenizer and spm_decode do; the encoder put it there, so Decode(Encode(text)) == text
    /// (except for spaces a remove_extra_whitespaces model drops).
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>();
        bool beforeFirstOrdinary = true;
        foreach (var id in ids) bytes.AddRange(DecodedBytes(id, skipSpecialTokens, ref beforeFirstOrdinary));
        return new UTF8Encoding(false, false).GetString(bytes.ToArray());
    }

    /// <summary>A decoder for ids that arrive one at a time (generation).</summary>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>The token as the vocabulary spells it ("▁Hello", "Ġworld", "&lt;0x0A&gt;", "&lt;|eot_id|&gt;").</summary>
    public string TokenText(int id)
    {
        CheckId(id);
        return AddedContent(id) ?? _backend.VocabularyEntry(id) ?? "";
    }

    /// <summary>Whether the id is a special token (BOS, EOS, chat markers), the ones skipSpecialTokens leaves out.</summary>
    public bool IsSpecial(int id) => _specialIds.Contains(id);

    /// <summary>The id of a token given as the vocabulary spells it, or null.</summary>
    public int? TokenId(string token)
    {
        if (_backend.AddedTokens.TryGetValue(token, out var added)) return added;
        for (int id = 0; id <= _backend.MaxVocabularyId; id++)
            if (_backend.VocabularyEntry(id) == token) return id;
        return null;
    }

    /// <summary>Throws when the tokenizer has ids the model has no embedding for.</summary>
    public void CheckFitsModel(int modelVocabSize)
    {
        if (VocabSize > modelVocabSize)
            throw new SiftException(
                $"tokenizer in {ModelDir} has {VocabSize} ids but config.json vocab_size is {modelVocabSize}: the tokenizer files do not belong to this model.");
    }

    internal byte[] DecodedBytes(int id, bool skipSpecialTokens, ref bool beforeFirstOrdinary)
    {
        CheckId(id);
        if (AddedContent(id) is { } content)
            return skipSpecialTokens && IsSpecial(id) ? [] : Encoding.UTF8.GetBytes(content);
        var bytes = _backend.TokenBytes(id) ?? [];
        if (_backend.AddsDummyPrefix && beforeFirstOrdinary && bytes.Length > 0 && bytes[0] == (byte)' ') bytes = bytes[1..];
        beforeFirstOrdinary = false;
        return bytes;
    }

    private string? AddedContent(int id) => _addedById.TryGetValue(id, out var content) ? content : null;

    private void CheckId(int id)
    {
        if (id < 0 || id >= VocabSize)
            throw new SiftException($"token id {id} is outside the vocabulary of the tokenizer in {ModelDir} (ids 0..{VocabSize - 1}); the ids come from a different tokenizer or model.");
    }

    private void Apply(SpecialTokenChoice choice)
    {
        (BosToken, BosId) = Resolve(choice.BosToken, choice.BosId, "bos_token");
        (EosToken, EosId) = Resolve(choice.EosToken, choice.EosId, "eos_token");
        (PadToken, PadId) = Resolve(choice.PadToken, choice.PadId, "pad_token");
        AddBosByDefault = choice.AddBos && BosId != null;
        AddEosByDefault = choice.AddEos && EosId != null;
        var stops = new HashSet<int>();
        if (EosId is { } eos) stops.Add(eos);
        foreach (var id in choice.ExtraStopIds) { CheckId(id); stops.Add(id); }
        foreach (var token in choice.ExtraStopTokens) if (TokenId(token) is { } id) stops.Add(id);
        StopIds = stops;
    }

    private (string?, int?) Resolve(string? token, int? id, string key)
    {
        if (token != null)
        {
            var found = TokenId(token) ?? throw new SiftException(
                $"{ModelDir}: the tokenizer config sets {key} to \"{token}\", but the tokenizer has no such token; fix {key} in tokenizer_config.json or special_tokens_map.json.");
            return (token, found);
        }
        if (id is { } given)
        {
            CheckId(given);
            return (TokenText(given), given);
        }
        return (null, null);
    }
}

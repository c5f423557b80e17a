namespace Sift.Text.Tokenizers;

/// <summary>
/// One tokenizer family behind <see cref="ModelTokenizer"/>: it turns text into ids (without BOS/EOS)
/// and says which bytes each ordinary token stands for. Added and special tokens are kept by
/// <see cref="ModelTokenizer"/> itself, so decoding and offsets work the same way for every family.
/// </summary>
internal abstract class TokenizerBackend
{
    /// <summary>Which files and which kind of tokenizer, for messages ("byte-level BPE from tokenizer.json").</summary>
    public abstract string Description { get; }

    /// <summary>Tokens matched as a whole wherever their text appears (chat markers, BOS/EOS), by content.</summary>
    public abstract IReadOnlyDictionary<string, int> AddedTokens { get; }

    /// <summary>Largest id of an ordinary vocabulary entry.</summary>
    public abstract int MaxVocabularyId { get; }

    /// <summary>Ids for the text; added tokens written in the text map to their ids; no BOS or EOS.</summary>
    public abstract int[] EncodeIds(string text);

    /// <summary>The vocabulary entry as the model files spell it ("Ġworld", "▁Hello", "&lt;0x0A&gt;"), or null for an unused id.</summary>
    public abstract string? VocabularyEntry(int id);

    /// <summary>The UTF-8 bytes an ordinary token stands for (SentencePiece's "▁" as a space), or null for an unused id.</summary>
    public abstract byte[]? TokenBytes(int id);

    /// <summary>
    /// SentencePiece puts a space ("▁") in front of the first ordinary token of the text, also when
    /// special tokens come before it; that space is not in the text, so offsets skip it and
    /// decoding drops it again.
    /// </summary>
    public virtual bool AddsDummyPrefix => false;

    /// <summary>
    /// SentencePiece models trained with remove_extra_whitespaces drop leading and trailing spaces
    /// and shorten runs of spaces to one; offsets then give the dropped spaces to the next token.
    /// </summary>
    public virtual bool RemovesExtraSpaces => false;

    /// <summary>The text the tokenizer really sees (Unicode NFC for Qwen2-style files); the text itself otherwise.</summary>
    public virtual string Normalize(string text) => text;
}

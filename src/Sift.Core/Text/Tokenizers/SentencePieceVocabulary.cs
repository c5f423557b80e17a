using System.Globalization;

namespace Sift.Text.Tokenizers;

/// <summary>
/// The pieces of a SentencePiece model as sentencepiece's model_interface.cc sorts them: NORMAL,
/// USER_DEFINED and UNUSED pieces are what merges can produce; CONTROL, UNKNOWN and BYTE pieces are
/// reserved. The checks are spm's own: one unknown piece, no piece twice, all 256 byte pieces with byte fallback.
/// </summary>
internal sealed class SentencePieceVocabulary
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _mergeable;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _reserved;
    private readonly float[] _scores;
    private readonly SentencePieceType[] _types;
    private readonly int _unknownId = -1;
    private readonly int[]? _byteIds;
    private readonly Dictionary<int, byte>? _byteOfId;

    public SentencePieceVocabulary(SentencePieceModelFile model)
    {
        var mergeable = new Dictionary<string, int>(StringComparer.Ordinal);
        var reserved = new Dictionary<string, int>(StringComparer.Ordinal);
        var userDefined = new List<string>();
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            var (piece, type) = (model.Pieces[id], model.Types[id]);
            bool isMergeable = type is SentencePieceType.Normal or SentencePieceType.UserDefined or SentencePieceType.Unused;
            if (!(isMergeable ? mergeable : reserved).TryAdd(piece, id)) throw Invalid(model, $"piece \"{piece}\" is defined twice");
            if (type == SentencePieceType.UserDefined) userDefined.Add(piece);
            if (type == SentencePieceType.Unknown)
                _unknownId = _unknownId < 0 ? id : throw Invalid(model, "it has more than one unknown piece");
        }
        if (_unknownId < 0) throw Invalid(model, "it has no unknown piece (<unk>)");

        _mergeable = mergeable.GetAlternateLookup<ReadOnlySpan<char>>();
        _reserved = reserved.GetAlternateLookup<ReadOnlySpan<char>>();
        _scores = [.. model.Scores];
        _types = [.. model.Types];
        UserDefined = userDefined.Count > 0 ? new AddedTokenMatcher(userDefined) : null;
        _byteIds = model.ByteFallback ? ByteIds(model) : null;
        _byteOfId = _byteIds?.Select((id, value) => (id, value)).ToDictionary(p => p.id, p => (byte)p.value);
    }

    /// <summary>USER_DEFINED pieces, which the text is split into whole and which never merge; null when there are none.</summary>
    public AddedTokenMatcher? UserDefined { get; }

    public bool ByteFallback => _byteIds != null;

    public float Score(int id) => _scores[id];

    public SentencePieceType Type(int id) => _types[id];

    /// <summary>Whether a merge may produce the piece (NORMAL, USER_DEFINED, UNUSED), and its id.</summary>
    public bool TryGetMergeable(ReadOnlySpan<char> piece, out int id) => _mergeable.TryGetValue(piece, out id);

    /// <summary>spm's PieceToId: reserved pieces first, then the others, else the unknown piece.</summary>
    public int PieceToId(ReadOnlySpan<char> piece) =>
        _reserved.TryGetValue(piece, out int id) || _mergeable.TryGetValue(piece, out id) ? id : _unknownId;

    /// <summary>The id of the byte-fallback piece &lt;0xAB&gt; for the byte; only with <see cref="ByteFallback"/>.</summary>
    public int ByteId(byte value) => _byteIds![value];

    /// <summary>The byte a byte-fallback piece stands for; false for every other id, and for all ids without byte fallback.</summary>
    public bool TryGetByte(int id, out byte value)
    {
        value = 0;
        return _byteOfId != null && _byteOfId.TryGetValue(id, out value);
    }

    private static int[] ByteIds(SentencePieceModelFile model)
    {
        var ids = Enumerable.Repeat(-1, 256).ToArray();
        for (int id = 0; id < model.Pieces.Count; id++)
        {
            if (model.Types[id] != SentencePieceType.Byte) continue;
            var piece = model.Pieces[id];
            if (piece.Length != 6 || !piece.StartsWith("<0x", StringComparison.Ordinal) || piece[5] != '>' ||
                !byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte value))
                throw Invalid(model, $"byte piece \"{piece}\" is not spelled <0xAB>");
            ids[value] = id;
        }
        int missing = Array.IndexOf(ids, -1);
        if (missing >= 0) throw Invalid(model, $"it uses byte fallback but has no piece <0x{missing:X2}>");
        return ids;
    }

    private static SiftException Invalid(SentencePieceModelFile model, string problem) =>
        new($"{model.Path}: {problem}; restore tokenizer.model from the model's original files.");
}

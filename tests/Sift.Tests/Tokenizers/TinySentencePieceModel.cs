using System.Text;
using Sift.Text;

namespace Sift.Tests.Tokenizers;

/// <summary>
/// Writes small SentencePiece BPE tokenizer.model files (protobuf ModelProto) whose pieces and scores
/// a test chooses, so merge results can be worked out by hand and checked against spm_encode too.
/// </summary>
internal static class TinySentencePieceModel
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    /// <summary>
    /// A model folder whose tokenizer.model holds &lt;unk&gt; &lt;s&gt; &lt;/s&gt; (ids 0, 1, 2), the given
    /// pieces (ids from 3 on), and with byte fallback the 256 byte pieces. No dummy prefix, spaces kept.
    /// </summary>
    public static string Folder(IEnumerable<(string Piece, float Score, int Type)> pieces, bool byteFallback = false)
    {
        var all = new List<(string, float, int)> { ("<unk>", 0, Unknown), ("<s>", 0, Control), ("</s>", 0, Control) };
        all.AddRange(pieces);
        if (byteFallback) all.AddRange(Enumerable.Range(0, 256).Select(b => ($"<0x{b:X2}>", 0f, Byte)));

        var model = new MemoryStream();
        foreach (var (piece, score, type) in all)
            WriteMessage(model, 1, m => { WriteString(m, 1, piece); WriteFloat(m, 2, score); WriteVarint(m, 3, type); });
        WriteMessage(model, 2, m => { WriteVarint(m, 3, 2); WriteVarint(m, 35, byteFallback ? 1 : 0); });
        WriteMessage(model, 3, m => { WriteString(m, 1, "identity"); WriteVarint(m, 3, 0); WriteVarint(m, 4, 0); });

        var dir = Paths.NewTempDir("sift-tiny-spm");
        File.WriteAllBytes(Path.Combine(dir, "tokenizer.model"), model.ToArray());
        return dir;
    }

    /// <summary>The pieces the tokenizer gives for the text, as the vocabulary spells them.</summary>
    public static string[] Pieces(ModelTokenizer tokenizer, string text) =>
        [.. tokenizer.Encode(text, addBos: false).Select(tokenizer.TokenText)];

    private static void WriteMessage(Stream to, int field, Action<Stream> write)
    {
        var body = new MemoryStream();
        write(body);
        WriteTag(to, field, 2);
        WriteRawVarint(to, (ulong)body.Length);
        body.WriteTo(to);
    }

    private static void WriteString(Stream to, int field, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteTag(to, field, 2);
        WriteRawVarint(to, (ulong)bytes.Length);
        to.Write(bytes);
    }

    private static void WriteFloat(Stream to, int field, float value)
    {
        WriteTag(to, field, 5);
        to.Write(BitConverter.GetBytes(value));
    }

    private static void WriteVarint(Stream to, int field, int value)
    {
        WriteTag(to, field, 0);
        WriteRawVarint(to, (ulong)value);
    }

    private static void WriteTag(Stream to, int field, int wireType) => WriteRawVarint(to, (ulong)(field << 3 | wireType));

    private static void WriteRawVarint(Stream to, ulong value)
    {
        for (; value >= 0x80; value >>= 7) to.WriteByte((byte)(value | 0x80));
        to.WriteByte((byte)value);
    }
}

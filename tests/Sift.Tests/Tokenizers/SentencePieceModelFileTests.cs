using Sift.Text;
using static Sift.Tests.Tokenizers.TinySentencePieceModel;

namespace Sift.Tests.Tokenizers;

/// <summary>Reading tokenizer.model: damaged or unsupported files give a SiftException that names the file.</summary>
public class SentencePieceModelFileTests
{
    private static readonly byte[] Tok512 = File.ReadAllBytes(Paths.Asset("models", "stories260K", "tok512.model"));

    /// <summary>Loads the bytes as a model folder's tokenizer.model; a model that loads must also encode.</summary>
    private static void AssertLoadsOrNamesTheFile(byte[] bytes, string what)
    {
        var dir = Paths.NewTempDir("sift-spm-damaged");
        var file = Path.Combine(dir, "tokenizer.model");
        File.WriteAllBytes(file, bytes);
        try
        {
            ModelTokenizer.Load(dir).Encode("Once upon a time, ꙮ <s> there", addBos: true);
        }
        catch (SiftException e)
        {
            Assert.True(e.Message.Contains(file), $"{what}: {e.Message}");
        }
    }

    [Fact]
    public void Truncated_files_give_an_error_naming_the_file()
    {
        for (int length = 0; length < Tok512.Length; length += 23)
            AssertLoadsOrNamesTheFile(Tok512[..length], $"first {length} bytes");
    }

    [Fact]
    public void Altered_bytes_give_an_error_naming_the_file_or_a_model_that_still_encodes()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 300; trial++)
        {
            var bytes = (byte[])Tok512.Clone();
            int at = random.Next(bytes.Length);
            bytes[at] = (byte)random.Next(256);
            AssertLoadsOrNamesTheFile(bytes, $"byte {at} set to {bytes[at]}");
        }
    }

    [Fact]
    public void A_length_far_beyond_the_file_is_reported_not_allocated()
    {
        var dir = Paths.NewTempDir("sift-spm-damaged");
        var file = Path.Combine(dir, "tokenizer.model");
        File.WriteAllBytes(file, [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void A_model_without_an_unknown_piece_is_refused()
    {
        var dir = Folder([("a", 0, Normal)]);
        var file = Path.Combine(dir, "tokenizer.model");
        var bytes = File.ReadAllBytes(file);
        int at = bytes.AsSpan().IndexOf("<unk>"u8) + "<unk>".Length + 6;   // after the piece: score tag, 4-byte score, type tag
        Assert.Equal((byte)Unknown, bytes[at]);
        bytes[at] = (byte)Control;
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains(file, e.Message);
        Assert.Contains("unknown piece", e.Message);
    }
}

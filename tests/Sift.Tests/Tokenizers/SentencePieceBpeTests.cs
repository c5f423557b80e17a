using Sift.Text;
using static Sift.Tests.Tokenizers.TinySentencePieceModel;

namespace Sift.Tests.Tokenizers;

/// <summary>
/// The SentencePiece BPE merge loop on tiny vocabularies where one rule of sentencepiece's
/// bpe_model.cc decides the result. Expectations are worked out by hand and checked against spm_encode.
/// </summary>
public class SentencePieceBpeTests
{
    private static readonly (string, float, int)[] Letters = [("a", 0, Normal), ("b", 0, Normal), ("c", 0, Normal), ("d", 0, Normal), ("x", 0, Normal)];

    private static void AssertPieces(string dir, string text, string[] expected)
    {
        var tokenizer = ModelTokenizer.Load(dir);
        Assert.Equal(expected, Pieces(tokenizer, text));
        Assert.Equal(SentencePieceTests.SpmEncode(Path.Combine(dir, "tokenizer.model"), [text])[0], tokenizer.Encode(text, addBos: false));
    }

    [Fact]
    public void Of_pairs_with_equal_scores_the_leftmost_merges_first()
    {
        var dir = Folder([.. Letters, ("ab", -1, Normal), ("ba", -1, Normal)]);
        AssertPieces(dir, "aba", ["ab", "a"]);
        AssertPieces(dir, "bab", ["ba", "b"]);
    }

    [Fact]
    public void A_queued_pair_whose_symbols_changed_since_is_skipped()
    {
        // "abc": ab (3) merges first, which empties b; the queued b+c (2) must not merge then.
        AssertPieces(Folder([.. Letters, ("ab", 3, Normal), ("bc", 2, Normal)]), "abc", ["ab", "c"]);

        // "abcd": cd (5) merges first, so the queued b+c (1) now stands for "bcd", no piece; then ab (0).
        AssertPieces(Folder([.. Letters, ("cd", 5, Normal), ("bc", 1, Normal), ("ab", 0, Normal)]), "abcd", ["ab", "cd"]);
    }

    [Fact]
    public void An_unused_piece_can_be_merged_through_but_is_never_output()
    {
        // "ab" is UNUSED and scores highest: it merges, "abc" is built on it, and a left-over "ab" is split back.
        var dir = Folder([.. Letters, ("ab", 10, Unused), ("abc", 5, Normal)]);
        AssertPieces(dir, "abc", ["abc"]);
        AssertPieces(dir, "abx", ["a", "b", "x"]);
    }

    [Fact]
    public void User_defined_pieces_are_whole_symbols_that_never_merge()
    {
        var dir = Folder([.. Letters, ("bc", 0, UserDefined), ("ab", 5, Normal), ("bca", 9, Normal)]);
        AssertPieces(dir, "abc", ["a", "bc"]);
        AssertPieces(dir, "bca", ["bc", "a"]);
    }

    [Fact]
    public void Characters_outside_the_vocabulary_become_utf8_bytes_with_byte_fallback()
    {
        var dir = Folder([.. Letters, ("ab", 1, Normal)], byteFallback: true);
        AssertPieces(dir, "aéb", ["a", "<0xC3>", "<0xA9>", "b"]);
        AssertPieces(dir, "ab😀", ["ab", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"]);
    }

    [Fact]
    public void Without_byte_fallback_a_run_of_unknown_characters_is_one_unk()
    {
        var dir = Folder([.. Letters]);
        AssertPieces(dir, "aéüb", ["a", "<unk>", "b"]);
        AssertPieces(dir, "éaü", ["<unk>", "a", "<unk>"]);
    }

    [Fact]
    public void Llama2_splits_a_run_of_underscores_as_spm_encode_does()
    {
        var tokenizer = SentencePieceTests.LoadFolder("llama2");
        Assert.Equal(["▁_", "___"], Pieces(tokenizer, "____"));
        Assert.Equal(SentencePieceTests.SpmEncode(Paths.Asset("tokenizers", "llama2", "tokenizer.model"), ["____"])[0], tokenizer.Encode("____", addBos: false));
    }
}

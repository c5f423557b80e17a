using System.Text;
using Sift.Text;

namespace Sift.Tests.Tokenizers;

/// <summary>
/// Llama 3's tiktoken path with a small rank file written here (the real one is not in the repository):
/// the 256 single bytes in byte order, then a few merges chosen so that Llama 3's split pattern
/// changes the result. Expected ids are worked out by hand in the comments.
/// </summary>
public class TiktokenTests
{
    private static readonly string[] Merges =
    [
        "he",      // 256
        "ll",      // 257
        "hell",    // 258
        " w",      // 259
        "or",      // 260
        " wor",    // 261
        "ld",      // 262
        " world",  // 263
        "34",      // 264
        "345",     // 265
        "12",      // 266
        "'L",      // 267
        "'LL",     // 268
    ];
    private const int Base = 256 + 13;   // first special token id

    internal static string WriteRankFile(string dir, string relativePath = "original/tokenizer.model")
    {
        var path = Path.Combine(dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var lines = Enumerable.Range(0, 256).Select(b => Convert.ToBase64String([(byte)b]) + " " + b)
            .Concat(Merges.Select((m, i) => Convert.ToBase64String(Encoding.UTF8.GetBytes(m)) + " " + (256 + i)));
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    private static ModelTokenizer Load()
    {
        var dir = Paths.NewTempDir("sift-tiktoken");
        WriteRankFile(dir);
        return ModelTokenizer.Load(dir);
    }

    [Fact]
    public void Merges_follow_ranks_within_llama3_pieces()
    {
        var tokenizer = Load();
        // "hello" → he(256) → ll(257) → hell(258); "o" stays: [258, 'o'=111]. " world" merges up to 263.
        Assert.Equal([258, 111, 263], tokenizer.Encode("hello world", addBos: false));
        // \p{N}{1,3} cuts "12345" into "123" + "45": "123" → 12(266) + '3'(51); "45" → '4' '5'.
        // Without the cut, 34(264) and 345(265) would merge first and give [266, 265].
        Assert.Equal([266, 51, 52, 53], tokenizer.Encode("12345", addBos: false));
        // (?i:'ll) keeps "'LL" together: 'L(267) → 'LL(268). "I" is 73.
        Assert.Equal([73, 268], tokenizer.Encode("I'LL", addBos: false));
        // é is two bytes with no merge: C3 A9.
        Assert.Equal([0xC3, 0xA9], tokenizer.Encode("é", addBos: false));
    }

    [Fact]
    public void Llama3_special_tokens_have_metas_ids()
    {
        var tokenizer = Load();
        Assert.Equal(Base + 256, tokenizer.VocabSize);
        Assert.Equal(Base, tokenizer.TokenId("<|begin_of_text|>"));
        Assert.Equal(Base + 1, tokenizer.TokenId("<|end_of_text|>"));
        Assert.Equal(Base + 2, tokenizer.TokenId("<|reserved_special_token_0|>"));
        Assert.Equal(Base + 5, tokenizer.TokenId("<|reserved_special_token_3|>"));
        Assert.Equal(Base + 6, tokenizer.TokenId("<|start_header_id|>"));
        Assert.Equal(Base + 7, tokenizer.TokenId("<|end_header_id|>"));
        Assert.Equal(Base + 8, tokenizer.TokenId("<|reserved_special_token_4|>"));
        Assert.Equal(Base + 9, tokenizer.TokenId("<|eot_id|>"));
        Assert.Equal(Base + 10, tokenizer.TokenId("<|reserved_special_token_5|>"));
        Assert.Equal(Base + 255, tokenizer.TokenId("<|reserved_special_token_250|>"));
        Assert.Null(tokenizer.TokenId("<|reserved_special_token_251|>"));

        Assert.Equal(Base, tokenizer.BosId);
        Assert.Equal(Base + 1, tokenizer.EosId);
        Assert.True(tokenizer.AddBosByDefault);
        Assert.Equal(new HashSet<int> { Base + 1, Base + 9 }, tokenizer.StopIds);
        Assert.True(tokenizer.IsSpecial(Base + 9));
        Assert.False(tokenizer.IsSpecial(263));
        Assert.Equal("Ġworld", tokenizer.TokenText(263));

        var text = "<|start_header_id|>user<|end_header_id|>\n\nhello world<|eot_id|>";
        var ids = tokenizer.Encode(text, addBos: true);
        Assert.Equal(Base, ids[0]);
        Assert.Equal(Base + 6, ids[1]);
        Assert.Equal(Base + 9, ids[^1]);
        Assert.Equal("<|begin_of_text|>" + text, tokenizer.Decode(ids));
        Assert.Equal("user\n\nhello world", tokenizer.Decode(ids, skipSpecialTokens: true));
        SpanChecks.AssertExact(tokenizer, text);
        SpanChecks.AssertExact(tokenizer, "é ünï 😀 12345 I'LL");
        SpanChecks.AssertStreamingMatchesDecode(tokenizer, ids);
    }

    [Fact]
    public void Multi_byte_character_spans_and_streaming()
    {
        var tokenizer = Load();
        var encoded = tokenizer.EncodeWithOffsets("aé", addBos: true);
        Assert.Equal([Base, 97, 0xC3, 0xA9], encoded.Ids);
        // BOS: empty span at 0; the first byte of é: empty span at é's start; the last byte owns é.
        Assert.Equal([new(0, 0), new(0, 1), new(1, 1), new(1, 2)], encoded.Spans);

        var decoder = tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        Assert.Equal("", decoder.Push(Base));
        Assert.Equal("a", decoder.Push(97));
        Assert.Equal("", decoder.Push(0xC3));
        Assert.Equal("é", decoder.Push(0xA9));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Config_names_override_reserved_tokens()
    {
        // Llama 3.1 renames some reserved tokens in tokenizer_config.json's added_tokens_decoder.
        var dir = Paths.NewTempDir("sift-tiktoken");
        WriteRankFile(dir);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            $$$"""{"added_tokens_decoder": {"{{{Base + 8}}}": {"content": "<|eom_id|>", "special": true}}, "eos_token": "<|eot_id|>"}""");
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), $$$"""{"eos_token_id": [{{{Base + 1}}}, {{{Base + 8}}}, {{{Base + 9}}}]}""");
        var tokenizer = ModelTokenizer.Load(dir);
        Assert.Equal(Base + 8, tokenizer.TokenId("<|eom_id|>"));
        Assert.Equal([Base + 8], tokenizer.Encode("<|eom_id|>", addBos: false));
        Assert.Equal(Base + 9, tokenizer.EosId);
        Assert.Equal(new HashSet<int> { Base + 1, Base + 8, Base + 9 }, tokenizer.StopIds);
    }
}

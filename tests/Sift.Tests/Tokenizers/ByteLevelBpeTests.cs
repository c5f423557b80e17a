using System.Text.Json;
using Sift.Text;

namespace Sift.Tests.Tokenizers;

/// <summary>
/// Byte-level BPE tokenizer.json files against ids from tests/data/tokenizers/reference_bpe.py, a
/// pure-Python encoder (checked to agree with the transformers.js tokenizer of @lenml/tokenizers).
/// gpt2: GPT-2's real tokenizer.json (ByteLevel pre-tokenizer with its regex, "a b" merges).
/// qwen-style-gpt2: GPT-2's first merges in Qwen2's layout (Split regex + ByteLevel, NFC, [a, b] merges, chat tokens).
/// </summary>
public class ByteLevelBpeTests
{
    private static readonly Dictionary<string, ModelTokenizer> Loaded = [];

    internal static string FixtureDir(string name) => Path.Combine(Paths.TestData, "tokenizers", name);

    internal static ModelTokenizer Tokenizer(string name)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(name, out var t)) Loaded[name] = t = ModelTokenizer.Load(FixtureDir(name));
            return t;
        }
    }

    private static List<(string Text, int[] Ids)> ExpectedCases(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureDir(name), "expected_ids.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToList();
    }

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in new[] { "gpt2", "qwen-style-gpt2" })
            for (int i = 0; i < ExpectedCases(name).Count; i++) data.Add(name, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_match_the_reference_encoder(string name, int index)
    {
        var (text, expected) = ExpectedCases(name)[index];
        var ids = Tokenizer(name).Encode(text, addBos: false);
        Assert.True(expected.SequenceEqual(ids), $"\"{text}\": reference {string.Join(' ', expected)}, Sift {string.Join(' ', ids)}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_gives_the_text_back_and_spans_are_exact(string name, int index)
    {
        var (text, expected) = ExpectedCases(name)[index];
        var tokenizer = Tokenizer(name);
        // qwen-style normalizes to NFC, so the round trip gives the NFC form; the one fixture text
        // that is not NFC is checked against its NFC form written out by hand.
        var roundTrip = name == "gpt2" ? text : text.Replace("e\u0301", "\u00e9").Replace("A\u030a", "\u00c5");
        Assert.Equal(roundTrip, tokenizer.Decode(expected));
        SpanChecks.AssertStreamingMatchesDecode(tokenizer, expected);
        SpanChecks.AssertStreamingMatchesDecode(tokenizer, expected, skipSpecialTokens: true);
        if (roundTrip == text) SpanChecks.AssertExact(tokenizer, text);
    }

    [Fact]
    public void Spans_of_non_nfc_text_point_into_the_original_text()
    {
        var tokenizer = Tokenizer("qwen-style-gpt2");
        var text = "caf" + "e\u0301" + " ok";   // é written as e + combining acute
        var encoded = tokenizer.EncodeWithOffsets(text, addBos: false);
        Assert.Equal(tokenizer.Encode("caf\u00e9 ok", addBos: false), encoded.Ids);
        Assert.Equal(text.Length, encoded.Spans[^1].End);
        for (int i = 1; i < encoded.Count; i++) Assert.Equal(encoded.Spans[i - 1].End, encoded.Spans[i].Start);
        Assert.Equal(" ok", tokenizer.Decode(encoded.Ids[encoded.TokensWithin(5, 8)]));
    }

    [Fact]
    public void Gpt2_special_tokens_and_config()
    {
        var tokenizer = Tokenizer("gpt2");
        Assert.Equal(50257, tokenizer.VocabSize);
        Assert.Equal(50256, tokenizer.EosId);
        Assert.Equal(50256, tokenizer.BosId);
        Assert.Equal("<|endoftext|>", tokenizer.EosToken);
        Assert.False(tokenizer.AddBosByDefault);
        Assert.True(tokenizer.IsSpecial(50256));
        Assert.Equal("Ġworld", tokenizer.TokenText(995));
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world", addBos: false));
        Assert.Equal([50256, 15496, 995], tokenizer.Encode("Hello world", addBos: true));
        Assert.Equal([50256, 15496, 995], tokenizer.Encode("<|endoftext|>Hello world", addBos: true));
        Assert.Equal("Hello world", tokenizer.Decode([50256, 15496, 995], skipSpecialTokens: true));
        tokenizer.CheckFitsModel(50257);
        var e = Assert.Throws<SiftException>(() => tokenizer.CheckFitsModel(32000));
        Assert.Equal($"tokenizer in {FixtureDir("gpt2")} has 50257 ids but config.json vocab_size is 32000: the tokenizer files do not belong to this model.", e.Message);
    }

    [Fact]
    public void Chat_markers_map_to_their_ids_and_only_special_ones_are_skipped()
    {
        var tokenizer = Tokenizer("qwen-style-gpt2");
        int im_start = tokenizer.TokenId("<|im_start|>")!.Value, im_end = tokenizer.TokenId("<|im_end|>")!.Value;
        int toolCall = tokenizer.TokenId("<tool_call>")!.Value;
        Assert.Equal(im_end, tokenizer.EosId);
        Assert.Equal(tokenizer.TokenId("<|endoftext|>"), tokenizer.PadId);
        Assert.Null(tokenizer.BosId);
        Assert.False(tokenizer.AddBosByDefault);
        Assert.Equal(new HashSet<int> { im_end }, tokenizer.StopIds);
        Assert.Equal(toolCall + 1, tokenizer.VocabSize);
        Assert.True(tokenizer.IsSpecial(im_start));
        Assert.False(tokenizer.IsSpecial(toolCall));

        var text = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<tool_call>x<|im_end|>";
        var ids = tokenizer.Encode(text, addBos: false);
        Assert.Equal(im_start, ids[0]);
        Assert.Equal(im_end, ids[^1]);
        Assert.Contains(toolCall, ids);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal("user\nHi\nassistant\n<tool_call>x", tokenizer.Decode(ids, skipSpecialTokens: true));
        var ex = Assert.Throws<SiftException>(() => tokenizer.Encode("Hi", addBos: true));
        Assert.Contains("no BOS token", ex.Message);

        // The assistant's answer as a character span maps to exactly its tokens.
        var encoded = tokenizer.EncodeWithOffsets(text, addBos: false);
        int answerStart = text.IndexOf("<tool_call>x", StringComparison.Ordinal);
        int answerEnd = text.LastIndexOf("<|im_end|>", StringComparison.Ordinal);
        var answer = encoded.Ids[encoded.TokensWithin(answerStart, answerEnd)];
        Assert.Equal(toolCall, answer[0]);
        Assert.Equal("<tool_call>x", tokenizer.Decode(answer));
    }

    [Fact]
    public void Ignore_merges_takes_whole_pieces_from_the_vocabulary()
    {
        // Llama 3 sets ignore_merges: a piece that is a vocabulary entry is one token even where no
        // chain of merges builds it. "Ġzqxv" (" zqxv") is added to the vocabulary without merges.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureDir("qwen-style-gpt2"), "tokenizer.json")))!;
        var vocab = json["model"]!["vocab"]!.AsObject();
        int newId = vocab.Count;   // ids run 0..Count-1, the added tokens come after them
        foreach (var added in json["added_tokens"]!.AsArray()) added!["id"] = added["id"]!.GetValue<int>() + 1;
        vocab["Ġzqxv"] = newId;

        var without = Paths.NewTempDir("sift-bpe");
        File.WriteAllText(Path.Combine(without, "tokenizer.json"), json.ToJsonString());
        var merged = ModelTokenizer.Load(without).Encode("a zqxv", addBos: false);
        Assert.True(merged.Length > 2);
        Assert.DoesNotContain(newId, merged);

        json["model"]!["ignore_merges"] = true;
        var with = Paths.NewTempDir("sift-bpe");
        File.WriteAllText(Path.Combine(with, "tokenizer.json"), json.ToJsonString());
        var tokenizer = ModelTokenizer.Load(with);
        Assert.Equal([97, newId], tokenizer.Encode("a zqxv", addBos: false));
        Assert.Equal(merged[..1], tokenizer.Encode("a", addBos: false));
        Assert.Equal([newId + 2, 97, newId], tokenizer.Encode("<|im_start|>a zqxv", addBos: false));
        // Pieces that are not whole entries still go through the merges.
        Assert.Equal(ModelTokenizer.Load(without).Encode("Hello world", false), tokenizer.Encode("Hello world", false));
        SpanChecks.AssertExact(tokenizer, "<|im_start|>a zqxv, Hello world");
    }

    [Fact]
    public void Streaming_holds_back_an_unfinished_character()
    {
        var tokenizer = Tokenizer("gpt2");
        var ids = tokenizer.Encode("😀!", addBos: false);   // the emoji takes several byte tokens
        Assert.True(ids.Length >= 2);
        var decoder = tokenizer.CreateStreamingDecoder();
        var outputs = ids.Select(decoder.Push).ToList();
        Assert.All(outputs.Take(outputs.FindIndex(o => o.Length > 0)), o => Assert.Equal("", o));
        Assert.Equal("😀!", string.Concat(outputs));
        Assert.Equal("\uFFFD", tokenizer.Decode(ids[..1]));
        Assert.DoesNotContain('\uFFFD', string.Concat(outputs));

        var cut = tokenizer.CreateStreamingDecoder();
        Assert.Equal("", cut.Push(ids[0]));
        Assert.Equal("\uFFFD", cut.Flush());
    }
}

using System.Diagnostics;
using Sift.Text;

namespace Sift.Tests.Tokenizers;

/// <summary>SentencePiece tokenizer.model files against Debian's spm_encode (the reference implementation).</summary>
public class SentencePieceTests
{
    private static readonly string Llama2Model = Paths.Asset("tokenizers", "llama2", "tokenizer.model");
    private static readonly string Tok512Model = Paths.Asset("models", "stories260K", "tok512.model");

    public static readonly string[] Texts =
    [
        "Hello world",
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
        "It's 5 o'clock; we'll see, don't you think? I'LL BE THERE.",
        "Crème brûlée, naïve café, Ærøskøbing, Straße, Zürich",
        "日本語のテキストと中文文本，还有한국어도 있어요。",
        "Emoji: 😀🎉👍🏽 and a family 👨‍👩‍👧‍👦 end",
        "Numbers 1234567890, 3.14159, -42, 1e-9 and 10,000,000",
        "  two leading spaces",
        "trailing spaces   ",
        "runs    of     spaces\tand\t\ttabs",
        "line one\nline two\n\nline four after an empty line",
        "\nstarts with a newline and ends with one\n",
        "   ",
        "x",
        " y ",
        "Rare letters need byte fallback: ꙮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀 ᚠᛇᚻ ☃",
        "Привет, мир! Γειά σου κόσμε! مرحبا שלום",
        "def f(x):\n    return x ** 2  # square",
    ];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var model in new[] { "llama2", "tok512" })
            for (int i = 0; i < Texts.Length; i++) data.Add(model, i);
        return data;
    }

    private static string ModelFile(string name) => name == "llama2" ? Llama2Model : Tok512Model;

    /// <summary>A model folder with just the tokenizer.model, as an HF Llama folder has it.</summary>
    internal static ModelTokenizer LoadFolder(string name)
    {
        var dir = Paths.NewTempDir("sift-spm");
        File.Copy(ModelFile(name), Path.Combine(dir, "tokenizer.model"));
        return ModelTokenizer.Load(dir);
    }

    private static readonly Dictionary<string, ModelTokenizer> Loaded = [];
    private static ModelTokenizer Tokenizer(string name)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(name, out var t)) Loaded[name] = t = LoadFolder(name);
            return t;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_match_spm_encode_line_by_line(string model, int textIndex)
    {
        var text = Texts[textIndex];
        var lines = text.Split('\n');
        var expected = SpmEncode(ModelFile(model), lines);
        var tokenizer = Tokenizer(model);
        for (int i = 0; i < lines.Length; i++)
            Assert.True(expected[i].SequenceEqual(tokenizer.Encode(lines[i], addBos: false)),
                $"line {i} \"{lines[i]}\": spm_encode {string.Join(' ', expected[i])}, Sift {string.Join(' ', tokenizer.Encode(lines[i], false))}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_gives_the_text_back_and_spans_are_exact(string model, int textIndex)
    {
        var text = Texts[textIndex];
        var tokenizer = Tokenizer(model);
        var ids = tokenizer.Encode(text, addBos: true);
        Assert.Equal(tokenizer.BosId, ids[0]);
        // tok512 was trained with remove_extra_whitespaces: spm drops leading/trailing spaces and
        // shortens runs of spaces, so its round trip gives the text in that form.
        Func<string, string> canonical = model == "tok512" ? DropExtraSpaces : s => s;
        Assert.Equal(canonical(text), tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<s>" + canonical(text), tokenizer.Decode(ids));
        SpanChecks.AssertExact(tokenizer, text, dummySpace: true, canonical);
        SpanChecks.AssertStreamingMatchesDecode(tokenizer, ids);
        SpanChecks.AssertStreamingMatchesDecode(tokenizer, ids, skipSpecialTokens: true);
    }

    private static string DropExtraSpaces(string s) => System.Text.RegularExpressions.Regex.Replace(s, " +", " ").Trim(' ');

    [Fact]
    public void Special_tokens_typed_in_text_map_to_their_ids()
    {
        var tokenizer = Tokenizer("llama2");
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal("<s>", tokenizer.BosToken);
        Assert.True(tokenizer.AddBosByDefault);
        Assert.Equal(new HashSet<int> { 2 }, tokenizer.StopIds);
        Assert.True(tokenizer.IsSpecial(1) && tokenizer.IsSpecial(2));
        Assert.False(tokenizer.IsSpecial(15043));

        // Only the first ordinary token gets SentencePiece's leading "▁" (spm_encode: "Hello" is 15043
        // ▁Hello); "there" after </s> is 12711 (there), " there" 727 (▁there).
        var ids = tokenizer.Encode("<s>Hello</s>there", addBos: false);
        Assert.Equal([1, 15043, 2, 12711], ids);
        Assert.Equal("<s>Hello</s>there", tokenizer.Decode(ids));
        Assert.Equal("Hellothere", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal([6324, 2, 727], tokenizer.Encode("Hi</s> there", addBos: false));
        Assert.Equal("Hi</s> there", tokenizer.Decode([6324, 2, 727]));
        SpanChecks.AssertExact(tokenizer, "<s>Hello</s>there", dummySpace: true);
        SpanChecks.AssertExact(tokenizer, "[INST] hi [/INST] answer </s><s>[INST] again", dummySpace: true);

        // addBos puts BOS in front exactly once, also when the text already starts with it.
        Assert.Equal([1, 15043], tokenizer.Encode("Hello", addBos: true));
        Assert.Equal([1, 15043], tokenizer.Encode("<s>Hello", addBos: true));
        Assert.Equal([15043], tokenizer.Encode("Hello", addBos: false));
    }

    [Fact]
    public void Token_text_and_byte_fallback_spans()
    {
        var tokenizer = Tokenizer("llama2");
        Assert.Equal(32000, tokenizer.VocabSize);
        Assert.Equal("▁Hello", tokenizer.TokenText(15043));
        Assert.Equal("<0x0A>", tokenizer.TokenText(13));
        Assert.Equal("<s>", tokenizer.TokenText(1));

        // "😀" is not in the vocabulary: four byte tokens F0 9F 98 80 (spm_encode: 29871 243 162 155 131 3431).
        var encoded = tokenizer.EncodeWithOffsets("😀 ok", addBos: false);
        Assert.Equal([29871, 243, 162, 155, 131, 3431], encoded.Ids);
        Assert.Equal([new(0, 0), new(0, 0), new(0, 0), new(0, 0), new(0, 2), new(2, 5)], encoded.Spans);
        Assert.Equal(0..5, encoded.TokensWithin(0, 2));
        Assert.Equal("😀", tokenizer.Decode(encoded.Ids[encoded.TokensWithin(0, 2)]));
    }

    /// <summary>Every non-empty line of Alpaca-2K's fields and of the first 2,000 GSM8K records' question and answer.</summary>
    private static List<string> RealLines()
    {
        var fields = new List<string>();
        using (var alpaca = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Paths.Asset("data", "alpaca-2k", "alpaca_data_2k.json"))))
            foreach (var record in alpaca.RootElement.EnumerateArray())
                foreach (var name in new[] { "instruction", "input", "output" })
                    fields.Add(record.GetProperty(name).GetString()!);
        foreach (var line in File.ReadLines(Paths.Asset("data", "gsm8k", "train.jsonl")).Take(2000))
        {
            using var record = System.Text.Json.JsonDocument.Parse(line);
            fields.Add(record.RootElement.GetProperty("question").GetString()!);
            fields.Add(record.RootElement.GetProperty("answer").GetString()!);
        }
        return fields.SelectMany(f => f.Split('\n')).Where(l => l.Length > 0 && !l.Contains('\r')).ToList();
    }

    /// <summary>Every one of the 18,345 real lines gives exactly spm_encode's ids, runs of a repeated character ("▁____", "------") included.</summary>
    [Fact]
    public void Real_text_matches_spm_encode()
    {
        var lines = RealLines();
        Assert.Equal(18_345, lines.Count);
        var expected = SpmEncode(Llama2Model, lines);
        var tokenizer = LoadFolder("llama2");
        var differing = Enumerable.Range(0, lines.Count).Where(i => !expected[i].SequenceEqual(tokenizer.Encode(lines[i], addBos: false))).ToList();
        Assert.True(differing.Count == 0,
            $"{differing.Count} lines differ from spm_encode, e.g. line {differing.FirstOrDefault()}: \"{(differing.Count > 0 ? lines[differing[0]] : "")}\"");
    }

    /// <summary>A line of 100,000+ characters (longer than the buffers the encoder keeps per thread) also gives spm_encode's ids.</summary>
    [Fact]
    public void A_very_long_line_matches_spm_encode()
    {
        var line = string.Join(' ', RealLines().Take(3000));
        Assert.True(line.Length > 100_000);
        Assert.Equal(SpmEncode(Llama2Model, [line])[0], Tokenizer("llama2").Encode(line, addBos: false));
    }

    /// <summary>Runs Debian's spm_encode (package sentencepiece) on the lines; one id list per line.</summary>
    internal static List<int[]> SpmEncode(string model, IReadOnlyList<string> lines)
    {
        const string tool = "/usr/bin/spm_encode";
        Assert.True(File.Exists(tool), "spm_encode is missing: apt-get install sentencepiece");
        var input = Path.Combine(Paths.NewTempDir("sift-spm-in"), "input.txt");
        File.WriteAllText(input, string.Join('\n', lines) + "\n", new System.Text.UTF8Encoding(false));
        var psi = new ProcessStartInfo(tool, ["--model", model, "--output_format", "id", "--input", input])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"spm_encode failed: {error}");
        var result = output.Split('\n').Take(lines.Count)
            .Select(l => l.Length == 0 ? Array.Empty<int>() : l.Split(' ').Select(int.Parse).ToArray()).ToList();
        Assert.Equal(lines.Count, result.Count);
        return result;
    }
}

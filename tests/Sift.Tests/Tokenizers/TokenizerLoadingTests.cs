using Sift.Text;

namespace Sift.Tests.Tokenizers;

/// <summary>Finding the tokenizer files of a model folder, their precedence, config files and bad input.</summary>
public class TokenizerLoadingTests
{
    private static string Llama2Model => Paths.Asset("tokenizers", "llama2", "tokenizer.model");

    [Fact]
    public void Missing_folder_is_named()
    {
        var dir = Path.Combine(Paths.NewTempDir(), "no-such-model");
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains(dir, e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Folder_without_tokenizer_names_the_files_looked_for()
    {
        var dir = Paths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains(dir, e.Message);
        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("tokenizer.model", e.Message);
        Assert.Contains(Path.Combine("original", "tokenizer.model"), e.Message);
    }

    [Theory]
    [InlineData("WordPiece")]
    [InlineData("Unigram")]
    [InlineData("WordLevel")]
    public void Unsupported_model_types_are_refused_by_name(string type)
    {
        var dir = Paths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"),
            "{\"version\": \"1.0\", \"added_tokens\": [], \"model\": {\"type\": \"" + type + "\", \"vocab\": {\"a\": 0}}}");
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains(Path.Combine(dir, "tokenizer.json"), e.Message);
        Assert.Contains($"\"{type}\" is not supported", e.Message);
    }

    [Fact]
    public void Broken_json_names_file_and_line()
    {
        var dir = Paths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), "{\n  \"model\": {\n    \"type\": \"BPE\",,\n  }\n}");
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains(Path.Combine(dir, "tokenizer.json"), e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void Damaged_tokenizer_model_is_named()
    {
        var dir = Paths.NewTempDir();
        File.WriteAllBytes(Path.Combine(dir, "tokenizer.model"), [0x0A, 0xFF, 0xFF, 0xFF, 0x01, 0x02, 0x03]);
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains(Path.Combine(dir, "tokenizer.model"), e.Message);
    }

    [Fact]
    public void Damaged_rank_file_names_the_line()
    {
        var dir = Paths.NewTempDir();
        var path = TiktokenTests.WriteRankFile(dir);
        File.AppendAllText(path, "!!notbase64 999\n");
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 270", e.Message);
    }

    private const string SentencePieceStyleJson = """
        {"version": "1.0", "added_tokens": [{"id": 1, "content": "<s>", "special": true}],
         "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
         "pre_tokenizer": null,
         "model": {"type": "BPE", "byte_fallback": true, "vocab": {"<unk>": 0, "<s>": 1}, "merges": []}}
        """;

    [Fact]
    public void SentencePiece_style_tokenizer_json_asks_for_tokenizer_model()
    {
        var dir = Paths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), SentencePieceStyleJson);
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains("SentencePiece-style", e.Message);
        Assert.Contains("tokenizer.model", e.Message);

        File.Copy(Llama2Model, Path.Combine(dir, "tokenizer.model"));
        var tokenizer = ModelTokenizer.Load(dir);
        Assert.Equal(32000, tokenizer.VocabSize);
        Assert.Equal([1, 15043], tokenizer.Encode("Hello", addBos: true));
    }

    [Fact]
    public void Tokenizer_json_comes_before_tokenizer_model_which_comes_before_original()
    {
        var dir = Paths.NewTempDir();
        TiktokenTests.WriteRankFile(dir);
        Assert.Contains("tiktoken", ModelTokenizer.Load(dir).Description);

        File.Copy(Llama2Model, Path.Combine(dir, "tokenizer.model"));
        Assert.Contains("SentencePiece", ModelTokenizer.Load(dir).Description);

        var bpe = ByteLevelBpeTests.FixtureDir("qwen-style-gpt2");
        File.Copy(Path.Combine(bpe, "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
        Assert.Contains("byte-level BPE", ModelTokenizer.Load(dir).Description);
    }

    [Fact]
    public void Hf_llama_folder_reads_its_tokenizer_config()
    {
        var dir = Paths.Asset("models", "stories260K-hf");
        var tokenizer = ModelTokenizer.Load(dir);
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Null(tokenizer.PadId);
        Assert.True(tokenizer.AddBosByDefault);
        Assert.False(tokenizer.AddEosByDefault);
        // spm_encode of "Once upon a time" with tok512.model gives 403 407 261 378 (assets README).
        Assert.Equal([1, 403, 407, 261, 378], tokenizer.Encode("Once upon a time", addBos: tokenizer.AddBosByDefault));
        tokenizer.CheckFitsModel(512);
        var e = Assert.Throws<SiftException>(() => tokenizer.CheckFitsModel(256));
        Assert.Equal($"tokenizer in {dir} has 512 ids but config.json vocab_size is 256: the tokenizer files do not belong to this model.", e.Message);
    }

    [Fact]
    public void Config_files_set_special_tokens_in_either_spelling()
    {
        var dir = Paths.NewTempDir();
        File.Copy(Llama2Model, Path.Combine(dir, "tokenizer.model"));
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            """{"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": "<unk>", "add_bos_token": false, "add_eos_token": true}""");
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), """{"pad_token": {"content": "</s>"}}""");
        File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"bos_token_id": 1, "eos_token_id": [2, 29889]}""");
        var tokenizer = ModelTokenizer.Load(dir);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal(2, tokenizer.PadId);   // special_tokens_map.json wins, as in transformers
        Assert.False(tokenizer.AddBosByDefault);
        Assert.True(tokenizer.AddEosByDefault);
        Assert.Equal(new HashSet<int> { 2, 29889 }, tokenizer.StopIds);

        File.WriteAllText(Path.Combine(dir, "generation_config.json"), """{"eos_token_id": 2}""");
        Assert.Equal(new HashSet<int> { 2 }, ModelTokenizer.Load(dir).StopIds);

        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), """{"eos_token": "<|nope|>"}""");
        var e = Assert.Throws<SiftException>(() => ModelTokenizer.Load(dir));
        Assert.Contains("eos_token", e.Message);
        Assert.Contains("<|nope|>", e.Message);
    }

    [Fact]
    public void Ids_outside_the_vocabulary_are_refused()
    {
        var tokenizer = ModelTokenizer.Load(Paths.Asset("models", "stories260K-hf"));
        var e = Assert.Throws<SiftException>(() => tokenizer.Decode([5, 512]));
        Assert.Contains("512", e.Message);
        Assert.Throws<SiftException>(() => tokenizer.TokenText(-1));
    }
}

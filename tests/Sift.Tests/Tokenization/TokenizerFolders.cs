using Sift.Data.Tokenization;
using Sift.Tests.Tokenizers;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Tests.Tokenization;

/// <summary>
/// The real tokenizers the tokenization tests run on: Llama 2's 32K SentencePiece model and
/// stories260K's tok512 (shared assets), GPT-2's byte-level BPE and the Qwen2-style derivative (tests/data),
/// and Llama 3's tiktoken path with the small hand-built rank file of TiktokenTests (it has Llama 3's special tokens).
/// </summary>
internal static class TokenizerFolders
{
    public static readonly string[] Names = ["llama2", "tok512", "gpt2", "qwen-style-gpt2", "llama3-tiktoken"];

    private static readonly Dictionary<string, ModelTokenizer> Loaded = [];

    public static string Stories260K => Paths.Asset("models", "stories260K-hf");

    public static ModelTokenizer Load(string name)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(name, out var t)) return t;
            t = name switch
            {
                "llama2" => SentencePieceTests.LoadFolder("llama2"),
                "tok512" => ModelTokenizer.Load(Stories260K),
                "llama3-tiktoken" => LoadTiktoken(),
                _ => ByteLevelBpeTests.Tokenizer(name),
            };
            return Loaded[name] = t;
        }
    }

    private static ModelTokenizer LoadTiktoken()
    {
        var dir = Paths.NewTempDir("sift-tiktoken");
        TiktokenTests.WriteRankFile(dir);
        return ModelTokenizer.Load(dir);
    }

    public static bool IsSentencePiece(string name) => name is "llama2" or "tok512";

    public static ChatTemplate Template(string templateName, ModelTokenizer tokenizer) =>
        ChatTemplate.ByName(templateName, new SpecialTokenText(tokenizer.BosToken, tokenizer.EosToken));

    public static ExampleTokenizer ExampleTokenizer(string tokenizerName, string templateName, TokenizationOptions? options = null)
    {
        var tokenizer = Load(tokenizerName);
        return new ExampleTokenizer(tokenizer, Template(templateName, tokenizer), options ?? new TokenizationOptions());
    }
}

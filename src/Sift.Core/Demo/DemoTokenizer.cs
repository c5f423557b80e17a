using System.Text.Json.Nodes;
using Sift.IO;
using Sift.Text.Tokenizers;

namespace Sift.Demo;

/// <summary>
/// The demo's tokenizer, written so the demo needs no download: byte-level BPE with the 256 byte
/// symbols and no merges (one token per byte), plus &lt;s&gt;, &lt;/s&gt; and &lt;pad&gt;, in the
/// Hugging Face tokenizer.json layout that ModelTokenizer (and transformers) load.
/// </summary>
public static class DemoTokenizer
{
    public const int VocabSize = 259;

    public static void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevelAlphabet.Encode([(byte)b])] = b;
        var added = new JsonArray();
        string[] specials = ["<s>", "</s>", "<pad>"];
        for (int i = 0; i < specials.Length; i++)
        {
            vocab[specials[i]] = 256 + i;
            added.Add(new JsonObject
            {
                ["id"] = 256 + i, ["content"] = specials[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        }
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0", ["truncation"] = null, ["padding"] = null, ["added_tokens"] = added, ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(), ["post_processor"] = null, ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "", ["end_of_word_suffix"] = "",
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizer.ToJsonString());
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), new JsonObject
        {
            ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["pad_token"] = "<pad>", ["add_bos_token"] = true, ["model_max_length"] = 512,
        }.ToJsonString(new() { WriteIndented = true }));
    }
}

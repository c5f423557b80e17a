using System.Text.Json;

namespace Sift.Text.Tokenizers;

/// <summary>
/// What tokenizer_config.json, special_tokens_map.json and generation_config.json say about special
/// tokens. special_tokens_map.json wins over tokenizer_config.json, as in Hugging Face transformers.
/// </summary>
internal sealed class TokenizerConfigFiles
{
    public string? BosToken { get; private set; }
    public string? EosToken { get; private set; }
    public string? PadToken { get; private set; }
    public string? UnkToken { get; private set; }
    public bool? AddBosToken { get; private set; }
    public bool? AddEosToken { get; private set; }

    /// <summary>tokenizer_config.json's added_tokens_decoder: id → (content, special).</summary>
    public Dictionary<int, (string Content, bool Special)> AddedTokens { get; } = [];

    public List<int> GenerationEosIds { get; private set; } = [];
    public int? GenerationBosId { get; private set; }
    public int? GenerationPadId { get; private set; }

    public static TokenizerConfigFiles Read(string modelDir)
    {
        var config = new TokenizerConfigFiles();
        var tokenizerConfig = Path.Combine(modelDir, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig))
        {
            using var doc = JsonFile.Parse(tokenizerConfig);
            var root = doc.RootElement;
            config.ReadTokens(root);
            config.AddBosToken = root.BoolProperty("add_bos_token");
            config.AddEosToken = root.BoolProperty("add_eos_token");
            if (root.Property("added_tokens_decoder") is { ValueKind: JsonValueKind.Object } decoder)
                foreach (var entry in decoder.EnumerateObject())
                {
                    var content = entry.Value.StringProperty("content");
                    if (!int.TryParse(entry.Name, out var id) || id < 0 || content == null)
                        throw new SiftException($"{tokenizerConfig}: added_tokens_decoder entry \"{entry.Name}\" needs a numeric id and a \"content\" string.");
                    config.AddedTokens[id] = (content, entry.Value.BoolProperty("special") ?? true);
                }
        }

        var specialMap = Path.Combine(modelDir, "special_tokens_map.json");
        if (File.Exists(specialMap))
        {
            using var doc = JsonFile.Parse(specialMap);
            config.ReadTokens(doc.RootElement);
        }

        var generation = Path.Combine(modelDir, "generation_config.json");
        if (File.Exists(generation))
        {
            using var doc = JsonFile.Parse(generation);
            var root = doc.RootElement;
            config.GenerationEosIds = root.IdsProperty("eos_token_id", generation);
            config.GenerationBosId = root.IdsProperty("bos_token_id", generation).Cast<int?>().FirstOrDefault();
            config.GenerationPadId = root.IdsProperty("pad_token_id", generation).Cast<int?>().FirstOrDefault();
        }
        return config;
    }

    private void ReadTokens(JsonElement root)
    {
        BosToken = root.TokenProperty("bos_token") ?? BosToken;
        EosToken = root.TokenProperty("eos_token") ?? EosToken;
        PadToken = root.TokenProperty("pad_token") ?? PadToken;
        UnkToken = root.TokenProperty("unk_token") ?? UnkToken;
    }
}

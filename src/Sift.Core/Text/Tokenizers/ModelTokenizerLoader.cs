namespace Sift.Text.Tokenizers;

/// <summary>
/// Finds and loads the tokenizer of a model folder. Precedence: tokenizer.json, then
/// tokenizer.model, then original/tokenizer.model (each .model file may be SentencePiece or a
/// tiktoken rank file). BOS/EOS/padding come from tokenizer_config.json, special_tokens_map.json
/// and generation_config.json, falling back to what the tokenizer family fixes.
/// </summary>
internal static class ModelTokenizerLoader
{
    public const string TokenizerJson = "tokenizer.json";
    public const string SentencePieceModel = "tokenizer.model";
    public static readonly string OriginalModel = Path.Combine("original", "tokenizer.model");

    public static ModelTokenizer Load(string modelDir)
    {
        if (!Directory.Exists(modelDir))
            throw new SiftException($"model folder {modelDir} does not exist; give the folder that holds the model's config.json and tokenizer files.");
        var dir = Path.GetFullPath(modelDir);
        var config = TokenizerConfigFiles.Read(dir);
        var json = Path.Combine(dir, TokenizerJson);
        var model = Path.Combine(dir, SentencePieceModel);
        var original = Path.Combine(dir, OriginalModel);

        if (File.Exists(json))
        {
            var file = TokenizerJsonFile.Read(json);
            if (!file.IsSentencePieceStyle) return FromTokenizerJson(dir, file, config);
            if (File.Exists(model)) return FromModelFile(dir, model, config);
            throw new SiftException(
                $"{json} is a SentencePiece-style tokenizer (byte fallback, \"▁\" for spaces), which Sift reads from tokenizer.model; " +
                $"copy the model's tokenizer.model into {dir}.");
        }
        if (File.Exists(model)) return FromModelFile(dir, model, config);
        if (File.Exists(original)) return FromModelFile(dir, original, config);
        throw new SiftException(
            $"no tokenizer in {dir}: looked for {TokenizerJson}, {SentencePieceModel} and {OriginalModel}; copy the model's tokenizer files into this folder.");
    }

    private static ModelTokenizer FromTokenizerJson(string dir, TokenizerJsonFile file, TokenizerConfigFiles config)
    {
        var special = file.AddedTokens.Where(t => t.Special).Select(t => t.Id)
            .Concat(config.AddedTokens.Where(kv => kv.Value.Special).Select(kv => kv.Key));
        var bos = config.BosToken ?? (config.GenerationBosId == null ? file.PrependedSpecialToken : null);
        return ModelTokenizer.Create(dir, file.Backend!, special, new SpecialTokenChoice
        {
            BosToken = bos,
            BosId = config.GenerationBosId,
            EosToken = config.EosToken,
            EosId = config.GenerationEosIds.Cast<int?>().FirstOrDefault(),
            PadToken = config.PadToken,
            PadId = config.GenerationPadId,
            AddBos = config.AddBosToken ?? (file.PrependedSpecialToken != null && file.PrependedSpecialToken == (bos ?? file.PrependedSpecialToken)),
            AddEos = config.AddEosToken ?? false,
            ExtraStopIds = config.GenerationEosIds,
        });
    }

    private static ModelTokenizer FromModelFile(string dir, string file, TokenizerConfigFiles config)
    {
        bool rankFile;
        try { rankFile = TiktokenBackend.LooksLikeRankFile(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SiftException($"{file}: cannot be read ({e.Message}).", e);
        }
        return rankFile ? FromRankFile(dir, file, config) : FromSentencePiece(dir, file, config);
    }

    private static ModelTokenizer FromSentencePiece(string dir, string file, TokenizerConfigFiles config)
    {
        SentencePieceBackend backend;
        try
        {
            backend = SentencePieceBackend.Load(file, config.AddedTokens.ToDictionary(kv => kv.Value.Content, kv => kv.Key, StringComparer.Ordinal));
        }
        catch (Exception e) when (e is not SiftException)
        {
            throw new SiftException($"{file}: not a SentencePiece BPE model Sift can read ({e.Message}); restore tokenizer.model from the model's original files.", e);
        }
        var special = backend.AddedTokens.Values.Where(id => !config.AddedTokens.TryGetValue(id, out var t) || t.Special);
        return ModelTokenizer.Create(dir, backend, special, new SpecialTokenChoice
        {
            BosToken = config.BosToken ?? (config.GenerationBosId == null ? "<s>" : null),
            BosId = config.GenerationBosId,
            EosToken = config.EosToken ?? (config.GenerationEosIds.Count == 0 ? "</s>" : null),
            EosId = config.GenerationEosIds.Cast<int?>().FirstOrDefault(),
            PadToken = config.PadToken,
            PadId = config.GenerationPadId,
            AddBos = config.AddBosToken ?? true,
            AddEos = config.AddEosToken ?? false,
            ExtraStopIds = config.GenerationEosIds,
        });
    }

    private static ModelTokenizer FromRankFile(string dir, string file, TokenizerConfigFiles config)
    {
        var overrides = config.AddedTokens.ToDictionary(kv => kv.Key, kv => kv.Value.Content);
        TiktokenBackend backend;
        try { backend = TiktokenBackend.Load(file, overrides); }
        catch (Exception e) when (e is not SiftException)
        {
            throw new SiftException($"{file}: not a tiktoken rank file Sift can read ({e.Message}); restore it from the model's original files.", e);
        }
        return ModelTokenizer.Create(dir, backend, backend.AddedTokens.Values, new SpecialTokenChoice
        {
            BosToken = config.BosToken ?? (config.GenerationBosId == null ? Llama3Tokens.BeginOfText : null),
            BosId = config.GenerationBosId,
            EosToken = config.EosToken ?? (config.GenerationEosIds.Count == 0 ? Llama3Tokens.EndOfText : null),
            EosId = config.GenerationEosIds.Cast<int?>().FirstOrDefault(),
            PadToken = config.PadToken,
            PadId = config.GenerationPadId,
            AddBos = config.AddBosToken ?? true,
            AddEos = config.AddEosToken ?? false,
            ExtraStopIds = config.GenerationEosIds,
            ExtraStopTokens = [Llama3Tokens.EndOfTurn],
        });
    }
}

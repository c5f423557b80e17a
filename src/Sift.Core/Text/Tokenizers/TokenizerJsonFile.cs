using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sift.Text.Tokenizers;

/// <summary>An entry of tokenizer.json's added_tokens.</summary>
internal sealed record HfAddedToken(int Id, string Content, bool Special);

/// <summary>
/// A Hugging Face tokenizer.json ("fast tokenizer"). Byte-level BPE files become a
/// <see cref="ByteLevelBpeBackend"/>; SentencePiece-style BPE files (byte_fallback, "▁" for spaces, as
/// Llama 2/TinyLlama/Mistral ship them) are recognised so the loader can use tokenizer.model instead.
/// </summary>
internal sealed class TokenizerJsonFile
{
    public required IReadOnlyList<HfAddedToken> AddedTokens { get; init; }

    /// <summary>True for SentencePiece-style BPE: no backend is built, tokenizer.model must be used.</summary>
    public bool IsSentencePieceStyle { get; init; }

    /// <summary>The byte-level tokenizer; null when <see cref="IsSentencePieceStyle"/>.</summary>
    public ByteLevelBpeBackend? Backend { get; init; }

    /// <summary>The special token the post-processor puts in front of a single text (the BOS it adds), if any.</summary>
    public string? PrependedSpecialToken { get; init; }

    private const string Supported =
        "Sift reads byte-level BPE tokenizer.json files (GPT-2, Qwen2, SmolLM, Llama 3 style) and SentencePiece tokenizer.model files";

    public static TokenizerJsonFile Read(string path)
    {
        using var doc = JsonFile.Parse(path);
        var root = doc.RootElement;
        var model = root.Property("model") ?? throw new SiftException($"{path}: has no \"model\" section; it is not a Hugging Face tokenizer.json.");
        var type = model.StringProperty("type") ?? (model.Property("merges") != null ? "BPE" : "unknown");
        if (type != "BPE")
            throw new SiftException($"{path}: model type \"{type}\" is not supported; {Supported}. Provide a tokenizer of one of those kinds.");

        var added = ReadAddedTokens(root, path);
        var prepended = FindPrependedSpecialToken(root.Property("post_processor"));

        if (LooksSentencePieceStyle(root, model))
            return new TokenizerJsonFile { AddedTokens = added, IsSentencePieceStyle = true, PrependedSpecialToken = prepended };

        var preTokenizer = root.Property("pre_tokenizer");
        if (!Mentions(preTokenizer, "ByteLevel") && !Mentions(root.Property("decoder"), "ByteLevel"))
            throw new SiftException($"{path}: a BPE model that is neither byte-level nor SentencePiece-style is not supported; {Supported}.");

        var steps = new List<PreTokenizerStep>();
        if (preTokenizer is { } pre) AddSteps(pre, steps, path);
        bool nfc = ReadNormalizer(root.Property("normalizer"), path);

        var backend = new ByteLevelBpeBackend(path, ReadVocabulary(model, path), ReadMerges(model, path),
            added.ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal), steps,
            ignoreMerges: model.BoolProperty("ignore_merges") ?? false, nfc);
        return new TokenizerJsonFile { AddedTokens = added, Backend = backend, PrependedSpecialToken = prepended };
    }

    private static bool LooksSentencePieceStyle(JsonElement root, JsonElement model) =>
        model.BoolProperty("byte_fallback") == true
        || Mentions(root.Property("pre_tokenizer"), "Metaspace")
        || (root.Property("normalizer") is { } n && n.GetRawText().Contains('\u2581'))
        || (root.Property("normalizer") is { } n2 && n2.GetRawText().Contains("\\u2581"));

    /// <summary>Whether a component or any part of a Sequence has the given type.</summary>
    private static bool Mentions(JsonElement? component, string typeName)
    {
        if (component is not { ValueKind: JsonValueKind.Object } c) return false;
        if (c.StringProperty("type") == typeName) return true;
        foreach (var listName in new[] { "pretokenizers", "normalizers", "decoders", "processors" })
            if (c.Property(listName) is { ValueKind: JsonValueKind.Array } list && list.EnumerateArray().Any(x => Mentions(x, typeName)))
                return true;
        return false;
    }

    private static void AddSteps(JsonElement component, List<PreTokenizerStep> steps, string path)
    {
        var type = component.StringProperty("type");
        switch (type)
        {
            case "Sequence":
                foreach (var part in Parts(component, "pretokenizers")) AddSteps(part, steps, path);
                break;
            case "ByteLevel":
                if (component.BoolProperty("add_prefix_space") == true)
                    throw new SiftException($"{path}: pre_tokenizer ByteLevel with add_prefix_space true is not supported; {Supported}.");
                if (component.BoolProperty("use_regex") ?? true) steps.Add(PreTokenizerStep.Isolate(PreTokenizerStep.Gpt2Pattern));
                break;
            case "Split":
                steps.Add(ReadSplit(component, path));
                break;
            case "Digits":
                steps.Add(PreTokenizerStep.Digits(component.BoolProperty("individual_digits") ?? false));
                break;
            default:
                throw new SiftException($"{path}: pre_tokenizer \"{type}\" is not supported (supported: Sequence, Split, ByteLevel, Digits); {Supported}.");
        }
    }

    private static IEnumerable<JsonElement> Parts(JsonElement sequence, string listName) =>
        sequence.Property(listName) is { ValueKind: JsonValueKind.Array } list ? list.EnumerateArray() : [];

    private static PreTokenizerStep ReadSplit(JsonElement split, string path)
    {
        var patternObject = split.Property("pattern");
        var pattern = patternObject?.StringProperty("Regex")
            ?? (patternObject?.StringProperty("String") is { } literal ? Regex.Escape(literal) : null)
            ?? throw new SiftException($"{path}: pre_tokenizer Split has no pattern {{\"Regex\": ...}} or {{\"String\": ...}}.");
        if (split.BoolProperty("invert") == true)
            throw new SiftException($"{path}: pre_tokenizer Split with invert true is not supported.");
        try
        {
            return split.StringProperty("behavior") switch
            {
                "Isolated" or null => PreTokenizerStep.Isolate(pattern),
                "Removed" => PreTokenizerStep.Remove(pattern),
                var other => throw new SiftException($"{path}: pre_tokenizer Split behavior \"{other}\" is not supported (supported: Isolated, Removed)."),
            };
        }
        catch (ArgumentException e)
        {
            throw new SiftException($"{path}: pre_tokenizer Split pattern {pattern} is not a regular expression .NET accepts ({e.Message}).", e);
        }
    }

    /// <summary>True when the text is put in Unicode NFC first; throws for normalizers that would change it otherwise.</summary>
    private static bool ReadNormalizer(JsonElement? normalizer, string path)
    {
        if (normalizer is not { } n) return false;
        var type = n.StringProperty("type");
        if (type == "NFC") return true;
        if (type == "Sequence")
        {
            bool nfc = false;
            foreach (var part in Parts(n, "normalizers")) nfc |= ReadNormalizer(part, path);
            return nfc;
        }
        throw new SiftException($"{path}: normalizer \"{type}\" is not supported for byte-level BPE (supported: none, NFC); {Supported}.");
    }

    private static Dictionary<string, int> ReadVocabulary(JsonElement model, string path)
    {
        if (model.Property("vocab") is not { ValueKind: JsonValueKind.Object } vocab)
            throw new SiftException($"{path}: model.vocab is missing or not an object of token → id.");
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                throw new SiftException($"{path}: model.vocab entry \"{entry.Name}\" has id {entry.Value.GetRawText()}; ids must be whole numbers ≥ 0.");
            result[entry.Name] = id;
        }
        return result;
    }

    /// <summary>Merges as "a b" lines, from either the "a b" string form or the newer ["a", "b"] form.</summary>
    private static List<string> ReadMerges(JsonElement model, string path)
    {
        var merges = new List<string>();
        if (model.Property("merges") is not { ValueKind: JsonValueKind.Array } list) return merges;
        int index = 0;
        foreach (var merge in list.EnumerateArray())
        {
            if (merge.ValueKind == JsonValueKind.String) merges.Add(merge.GetString()!);
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                     && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
                merges.Add(merge[0].GetString() + " " + merge[1].GetString());
            else throw new SiftException($"{path}: model.merges[{index}] is {merge.GetRawText()}; a merge is \"a b\" or [\"a\", \"b\"].");
            index++;
        }
        return merges;
    }

    private static List<HfAddedToken> ReadAddedTokens(JsonElement root, string path)
    {
        var result = new List<HfAddedToken>();
        if (root.Property("added_tokens") is not { ValueKind: JsonValueKind.Array } list) return result;
        foreach (var token in list.EnumerateArray())
        {
            var content = token.StringProperty("content");
            if (content == null || token.Property("id") is not { } idElement || !idElement.TryGetInt32(out var id) || id < 0)
                throw new SiftException($"{path}: added_tokens entry {token.GetRawText()} needs an \"id\" (≥ 0) and a \"content\" string.");
            result.Add(new HfAddedToken(id, content, token.BoolProperty("special") ?? false));
        }
        return result;
    }

    private static string? FindPrependedSpecialToken(JsonElement? processor)
    {
        if (processor is not { ValueKind: JsonValueKind.Object } p) return null;
        if (p.StringProperty("type") == "TemplateProcessing"
            && p.Property("single") is { ValueKind: JsonValueKind.Array } single && single.GetArrayLength() > 0)
            return single[0].Property("SpecialToken")?.StringProperty("id");
        if (p.Property("processors") is { ValueKind: JsonValueKind.Array } parts)
            foreach (var part in parts.EnumerateArray())
                if (FindPrependedSpecialToken(part) is { } found) return found;
        return null;
    }
}

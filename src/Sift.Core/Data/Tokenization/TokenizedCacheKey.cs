using System.Security.Cryptography;
using System.Text;
using Sift.Data.Layouts;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Data.Tokenization;

/// <summary>
/// The content hash that names a tokenized cache: SHA-256 over the data file's bytes, the model's
/// tokenizer files, the chat template as it renders a probe conversation (so its name, special-token
/// text and default system prompt all count), the read options and the tokenization options. Any
/// change to these gives another key, so a stale cache is never used.
/// </summary>
public static class TokenizedCacheKey
{
    /// <summary>Bump when Sift's tokenization or masking changes what a cache would hold.</summary>
    public const int TokenizationVersion = 3;

    /// <summary>The files of a model folder that decide how text becomes ids.</summary>
    public static readonly string[] TokenizerFiles =
    [
        "tokenizer.json", "tokenizer.model", Path.Combine("original", "tokenizer.model"),
        "tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
    ];

    private static readonly ChatMessage[] Probe =
    [
        new(ChatMessage.System, "probe system"),
        new(ChatMessage.User, "probe user 1"), new(ChatMessage.Assistant, "probe answer 1"),
        new(ChatMessage.User, "probe user 2"), new(ChatMessage.Assistant, "probe answer 2"),
    ];

    public static byte[] Compute(string dataPath, DatasetOptions readOptions, ExampleTokenizer tokenizer)
    {
        var text = new StringBuilder();
        text.Append("sift tokenized cache; tokenization v").Append(TokenizationVersion).Append('\n');
        text.Append("data ").Append(HashFile(dataPath)).Append('\n');
        foreach (var name in TokenizerFiles)
        {
            var path = Path.Combine(tokenizer.Tokenizer.ModelDir, name);
            text.Append("tokenizer file ").Append(name.Replace('\\', '/')).Append(' ').Append(File.Exists(path) ? HashFile(path) : "absent").Append('\n');
        }
        AppendTemplate(text, tokenizer.Template);
        text.Append("read layout=").Append(DataLayoutNames.Name(readOptions.Layout))
            .Append(";format=").Append(DataFileFormats.Name(readOptions.FileFormat))
            .Append(";columns=").Append(readOptions.Columns)
            .Append(";skip_invalid=").Append(readOptions.SkipInvalid)
            .Append(";max_record_bytes=").Append(readOptions.MaxRecordBytes);
        // Only when set, so the caches of reads without a limit keep their keys.
        if (readOptions.Limit is int limit) text.Append(";limit=").Append(limit);
        text.Append('\n');
        text.Append("tokenization ").Append(tokenizer.Options.Describe()).Append('\n');
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static void AppendTemplate(StringBuilder text, ChatTemplate template)
    {
        text.Append("template ").Append(template.Name).Append(" end_of_turn=").Append(template.EndOfTurn).Append('\n');
        RenderedChat rendered;
        try
        {
            rendered = template.Render(Probe, addGenerationPrompt: false);
        }
        catch (SiftException)
        {
            // Templates without system messages (mistral-legacy) render the rest of the probe.
            rendered = template.Render(Probe[1..], addGenerationPrompt: false);
        }
        text.Append("template renders ").Append(rendered.Text.Length).Append(':').Append(rendered.Text);
        foreach (var span in rendered.AssistantSpans)
            text.Append(" [").Append(span.ContentStart).Append(',').Append(span.ContentEnd).Append(',').Append(span.TurnEnd).Append(']');
        text.Append('\n');
    }

    private static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

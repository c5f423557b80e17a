using System.Text.RegularExpressions;

namespace Sift.Text.Templates;

/// <summary>
/// Chooses the template of a model folder from the Jinja chat_template in its tokenizer_config.json,
/// by the markers each family's template contains.
/// </summary>
internal static partial class ChatTemplateDetector
{
    public static ChatTemplate ForModel(string modelDir, string? overrideName)
    {
        if (!Directory.Exists(modelDir))
            throw new SiftException($"Model folder '{modelDir}' does not exist; pass the folder that holds the model's config.json and tokenizer files.");
        var path = Path.Combine(modelDir, TokenizerConfigChat.FileName);
        var config = TokenizerConfigChat.Read(path);
        if (!string.IsNullOrWhiteSpace(overrideName)) return ChatTemplate.ByName(overrideName, config.Tokens);
        return config.ChatTemplate is null
            ? new PlainChatTemplate(config.Tokens)
            : FromTemplateText(config.ChatTemplate, config.Tokens, path);
    }

    /// <summary>The template for a Jinja chat_template text; <paramref name="source"/> names it in errors.</summary>
    public static ChatTemplate FromTemplateText(string jinja, SpecialTokenText tokens, string source)
    {
        if (jinja.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            var defaultSystem = DefaultChatMlSystemPrompt(jinja);
            return defaultSystem switch
            {
                null => new ChatMlTemplate("chatml", null),
                ChatMlTemplate.Qwen2DefaultSystemPrompt => new ChatMlTemplate("qwen2", defaultSystem),
                ChatMlTemplate.Qwen25DefaultSystemPrompt => new ChatMlTemplate("qwen2.5", defaultSystem),
                _ => new ChatMlTemplate("chatml", defaultSystem),
            };
        }
        if (jinja.Contains("<|start_header_id|>", StringComparison.Ordinal))
        {
            if (jinja.Contains("Cutting Knowledge Date", StringComparison.Ordinal))
                throw new SiftException(
                    $"{source}: the chat template is Llama 3.1's (it adds 'Cutting Knowledge Date' system lines), which Sift does not render yet; " +
                    "choose a template by name (e.g. 'llama-3') if its format is acceptable.");
            return new Llama3ChatTemplate(tokens);
        }
        if (jinja.Contains("<<SYS>>", StringComparison.Ordinal)) return new Llama2ChatTemplate(tokens);
        if (jinja.Contains("[INST]", StringComparison.Ordinal))
            return jinja.Contains("system_message", StringComparison.Ordinal)
                ? new MistralChatTemplate(tokens)
                : new MistralLegacyChatTemplate(tokens);
        throw new SiftException(
            $"{source}: the chat template matches none of the families Sift renders (it has none of '<|im_start|>', " +
            $"'<|start_header_id|>', '<<SYS>>', '[INST]'); choose a template by name: {string.Join(", ", ChatTemplate.Names)}.");
    }

    /// <summary>
    /// The literal system text a ChatML template inserts when the conversation has none, as in
    /// Qwen2's "'&lt;|im_start|&gt;system\nYou are a helpful assistant.&lt;|im_end|&gt;\n'"; null if it inserts none.
    /// </summary>
    private static string? DefaultChatMlSystemPrompt(string jinja)
    {
        var match = DefaultSystemLiteral().Match(jinja);
        if (!match.Success) return null;
        return match.Groups["text"].Value.Replace("\\n", "\n").Replace("\\t", "\t").Replace("\\\\", "\\");
    }

    // After "system" and a newline (escaped or not), a run without quotes or expression syntax up to
    // <|im_end|>: a string literal, not "system\n' + messages[0]['content'] + '<|im_end|>".
    [GeneratedRegex(@"<\|im_start\|>system(?:\\n|\n)(?<text>[^'""{}+]+?)<\|im_end\|>")]
    private static partial Regex DefaultSystemLiteral();
}

namespace Sift.Text.Templates;

/// <summary>
/// Renders a conversation to the exact prompt text a model family was trained on, and reports
/// where each assistant message (and its end-of-turn marker) lies in that text. Each family
/// reproduces the string its official Hugging Face Jinja chat_template renders.
/// </summary>
public abstract class ChatTemplate
{
    /// <summary>"llama-2", "llama-3", "chatml", "qwen2", "qwen2.5", "mistral", "mistral-legacy" or "plain".</summary>
    public abstract string Name { get; }

    /// <summary>The end-of-turn marker that follows every assistant message.</summary>
    public abstract string EndOfTurn { get; }

    /// <summary>
    /// Renders <paramref name="messages"/>. With <paramref name="addGenerationPrompt"/> the text ends
    /// with the header that asks the model for the next assistant turn, where the family's
    /// template has one (Llama-2 and Mistral templates have none: their user turn already ends
    /// with "[/INST]"). Throws <see cref="SiftException"/> for an empty conversation, an unknown
    /// role, or an order the template does not accept.
    /// </summary>
    public RenderedChat Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
            throw new SiftException($"Chat template '{Name}': the conversation has no messages; give at least one user message.");
        for (var i = 0; i < messages.Count; i++)
        {
            var role = messages[i].Role;
            if (role is not (ChatMessage.System or ChatMessage.User or ChatMessage.Assistant))
                throw new SiftException(
                    $"Chat template '{Name}': message {i} has unknown role '{role}'; roles must be 'system', 'user' or 'assistant'.");
        }
        var builder = new ChatTextBuilder();
        RenderChecked(messages, addGenerationPrompt, builder);
        return builder.Build();
    }

    /// <summary>Renders messages whose roles are known to be system, user or assistant.</summary>
    private protected abstract void RenderChecked(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, ChatTextBuilder output);

    /// <summary>The names <see cref="ByName"/> accepts.</summary>
    public static IReadOnlyList<string> Names => ChatTemplateCatalog.Names;

    /// <summary>The template of a family by name; unknown names throw a <see cref="SiftException"/> listing the known ones.</summary>
    public static ChatTemplate ByName(string name, SpecialTokenText tokens) => ChatTemplateCatalog.Create(name, tokens);

    /// <summary>
    /// The template for the model in <paramref name="modelDir"/>, chosen from the chat_template in its
    /// tokenizer_config.json (plain when it has none), with bos/eos text from the same file.
    /// <paramref name="overrideName"/>, when given, picks the family instead.
    /// </summary>
    public static ChatTemplate ForModel(string modelDir, string? overrideName = null) =>
        ChatTemplateDetector.ForModel(modelDir, overrideName);
}

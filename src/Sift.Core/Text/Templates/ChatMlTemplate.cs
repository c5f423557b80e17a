namespace Sift.Text.Templates;

/// <summary>
/// ChatML (SmolLM-Instruct, Qwen2, Qwen2.5 Instruct): per message
/// "&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n", content verbatim; the generation prompt is
/// "&lt;|im_start|&gt;assistant\n". When <see cref="DefaultSystemPrompt"/> is set (the Qwen variants)
/// and the first message is not a system message, a system turn with that text is rendered first.
/// Any role order is accepted.
/// </summary>
public sealed class ChatMlTemplate : ChatTemplate
{
    public const string Qwen2DefaultSystemPrompt = "You are a helpful assistant.";
    public const string Qwen25DefaultSystemPrompt = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    public ChatMlTemplate(string name, string? defaultSystemPrompt)
    {
        Name = name;
        DefaultSystemPrompt = defaultSystemPrompt;
    }

    public override string Name { get; }

    /// <summary>The system text inserted when a conversation has no system message; null for none.</summary>
    public string? DefaultSystemPrompt { get; }

    public override string EndOfTurn => "<|im_end|>";

    private protected override void RenderChecked(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, ChatTextBuilder output)
    {
        if (DefaultSystemPrompt != null && messages[0].Role != ChatMessage.System)
            output.Append(Header(ChatMessage.System)).Append(DefaultSystemPrompt).Append(EndOfTurn).Append("\n");
        for (var i = 0; i < messages.Count; i++)
        {
            output.Append(Header(messages[i].Role));
            if (messages[i].Role == ChatMessage.Assistant)
                output.AppendAssistant(i, messages[i].Content, EndOfTurn);
            else
                output.Append(messages[i].Content).Append(EndOfTurn);
            output.Append("\n");
        }
        if (addGenerationPrompt) output.Append(Header(ChatMessage.Assistant));
    }

    private static string Header(string role) => "<|im_start|>" + role + "\n";
}

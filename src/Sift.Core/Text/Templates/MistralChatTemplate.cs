namespace Sift.Text.Templates;

/// <summary>
/// Mistral-7B-Instruct-v0.2, current official chat_template (the 2024 revision, also on v0.1):
/// "{bos}" once, then per user turn " [INST] {content} [/INST]" and per assistant turn
/// " {content}{eos}", contents verbatim. An optional first system message is prepended to the
/// first user turn as "{system}\n\n{user}". After it, roles must alternate user/assistant.
/// There is no generation prompt.
/// </summary>
public sealed class MistralChatTemplate(SpecialTokenText tokens) : ChatTemplate
{
    public override string Name => "mistral";

    public override string EndOfTurn => tokens.Eos ?? "";

    private protected override void RenderChecked(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, ChatTextBuilder output)
    {
        var first = messages[0].Role == ChatMessage.System ? 1 : 0;
        TurnOrder.RequireAlternation(messages, first, Name);
        output.Append(tokens.Bos);
        for (var i = first; i < messages.Count; i++)
        {
            var content = messages[i].Content;
            if (messages[i].Role == ChatMessage.User)
            {
                if (i == first && first == 1) content = messages[0].Content + "\n\n" + content;
                output.Append(" [INST] ").Append(content).Append(" [/INST]");
            }
            else
            {
                output.Append(" ").AppendAssistant(i, content, EndOfTurn);
            }
        }
    }
}

namespace Sift.Text.Templates;

/// <summary>
/// Mistral-7B-Instruct-v0.2's original chat_template (December 2023; Mixtral-8x7B-Instruct-v0.1
/// has the same): "{bos}" once, then per user turn "[INST] {content} [/INST]" and per assistant
/// turn "{content}{eos}", contents verbatim. Roles must alternate user/assistant from the first
/// message; system messages are rejected, as the official template raises on them.
/// There is no generation prompt.
/// </summary>
public sealed class MistralLegacyChatTemplate(SpecialTokenText tokens) : ChatTemplate
{
    public override string Name => "mistral-legacy";

    public override string EndOfTurn => tokens.Eos ?? "";

    private protected override void RenderChecked(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, ChatTextBuilder output)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role == ChatMessage.System)
                throw new SiftException(
                    $"Chat template '{Name}': message {i} is a system message, which this template (Mistral's original " +
                    "Instruct template) does not support. Remove the system message, merge it into the first user message, " +
                    "or use the 'mistral' template, which prepends it to the first user message.");
        }
        TurnOrder.RequireAlternation(messages, 0, Name);
        output.Append(tokens.Bos);
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role == ChatMessage.User)
                output.Append("[INST] ").Append(messages[i].Content).Append(" [/INST]");
            else
                output.AppendAssistant(i, messages[i].Content, EndOfTurn);
        }
    }
}

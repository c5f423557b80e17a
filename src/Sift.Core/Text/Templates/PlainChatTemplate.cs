namespace Sift.Text.Templates;

/// <summary>
/// Sift's template for base models that ship no chat template: Alpaca-style sections.
/// <code>
/// {bos}
/// system:    {content}\n\n
/// user:      ### Instruction:\n{content}\n\n
/// assistant: ### Response:\n{content}{eos}\n\n
/// generation prompt: ### Response:\n
/// </code>
/// Contents are verbatim and any role order is accepted. The end of turn an assistant message is
/// trained to emit is the eos token (empty when the model has none), so a fine-tuned base model
/// learns to stop; the "\n\n" after it only separates sections. A null bos renders nothing.
/// </summary>
public sealed class PlainChatTemplate(SpecialTokenText tokens) : ChatTemplate
{
    public const string InstructionHeader = "### Instruction:\n";
    public const string ResponseHeader = "### Response:\n";

    public override string Name => "plain";

    public override string EndOfTurn => tokens.Eos ?? "";

    private protected override void RenderChecked(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, ChatTextBuilder output)
    {
        output.Append(tokens.Bos);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            switch (message.Role)
            {
                case ChatMessage.System:
                    output.Append(message.Content).Append("\n\n");
                    break;
                case ChatMessage.User:
                    output.Append(InstructionHeader).Append(message.Content).Append("\n\n");
                    break;
                default:
                    output.Append(ResponseHeader).AppendAssistant(i, message.Content, EndOfTurn).Append("\n\n");
                    break;
            }
        }
        if (addGenerationPrompt) output.Append(ResponseHeader);
    }
}

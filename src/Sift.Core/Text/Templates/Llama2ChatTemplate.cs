namespace Sift.Text.Templates;

/// <summary>
/// Llama-2-chat (meta-llama/Llama-2-7b-chat-hf's chat_template): every user turn is
/// "{bos}[INST] {content} [/INST]" and every assistant turn " {content} {eos}", contents stripped
/// of surrounding whitespace the Python way. An optional first system message is folded into the
/// first user turn as "&lt;&lt;SYS&gt;&gt;\n{system}\n&lt;&lt;/SYS&gt;&gt;\n\n{user}" before that strip.
/// Roles must alternate user/assistant. There is no generation prompt.
/// </summary>
public sealed class Llama2ChatTemplate(SpecialTokenText tokens) : ChatTemplate
{
    public override string Name => "llama-2";

    public override string EndOfTurn => " " + tokens.Eos;

    private protected override void RenderChecked(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, ChatTextBuilder output)
    {
        var first = messages[0].Role == ChatMessage.System ? 1 : 0;
        TurnOrder.RequireAlternation(messages, first, Name);
        for (var i = first; i < messages.Count; i++)
        {
            var content = messages[i].Content;
            if (i == first && first == 1)
                content = "<<SYS>>\n" + messages[0].Content + "\n<</SYS>>\n\n" + content;
            if (messages[i].Role == ChatMessage.User)
                output.Append(tokens.Bos).Append("[INST] ").Append(PythonText.Strip(content)).Append(" [/INST]");
            else
                output.Append(" ").AppendAssistant(i, PythonText.Strip(content), EndOfTurn);
        }
    }
}

namespace Sift.Text.Templates;

/// <summary>
/// Llama 3 Instruct (meta-llama/Meta-Llama-3-8B-Instruct's chat_template): "{bos}" once, then per
/// message "&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content}&lt;|eot_id|&gt;" with the
/// content trimmed (Jinja's trim filter, Python whitespace). Any role order is accepted. The
/// generation prompt is the assistant header.
/// </summary>
public sealed class Llama3ChatTemplate(SpecialTokenText tokens) : ChatTemplate
{
    public override string Name => "llama-3";

    public override string EndOfTurn => "<|eot_id|>";

    private protected override void RenderChecked(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, ChatTextBuilder output)
    {
        output.Append(tokens.Bos);
        for (var i = 0; i < messages.Count; i++)
        {
            var content = PythonText.Strip(messages[i].Content);
            output.Append(Header(messages[i].Role));
            if (messages[i].Role == ChatMessage.Assistant)
                output.AppendAssistant(i, content, EndOfTurn);
            else
                output.Append(content).Append(EndOfTurn);
        }
        if (addGenerationPrompt) output.Append(Header(ChatMessage.Assistant));
    }

    private static string Header(string role) => "<|start_header_id|>" + role + "<|end_header_id|>\n\n";
}

using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Eval;

/// <summary>How a question becomes the context whose continuations are scored.</summary>
public enum ChoicePrompt
{
    /// <summary>
    /// lm-evaluation-harness's MMLU default: "The following are multiple choice questions (with
    /// answers) about SUBJECT.\n\n" (when the question has a subject), then the stripped question,
    /// one line "A. choice" per choice and "Answer:"; the continuations are the letters " A", " B", ….
    /// Every continuation is one character, so acc_norm equals acc here.
    /// </summary>
    Mmlu,
    /// <summary>The harness's ARC style: "Question: QUESTION\nAnswer:"; the continuations are " CHOICE TEXT".</summary>
    Cloze,
}

/// <summary>One question's context and continuations, as text.</summary>
/// <param name="System">Text before the question (MMLU's description); a system message under a chat template.</param>
/// <param name="Choices">The choices as the harness's doc_to_choice gives them: their lengths normalize acc_norm.</param>
public sealed record ChoiceText(string System, string Question, IReadOnlyList<string> Choices);

public static class MultipleChoicePrompts
{
    public const string Names = "mmlu, cloze";

    /// <summary>The harness's target_delimiter, put between the context and each choice (none under a chat template, as the harness does).</summary>
    public const string TargetDelimiter = " ";

    public static ChoicePrompt Parse(string name) => name.ToLowerInvariant() switch
    {
        "mmlu" => ChoicePrompt.Mmlu,
        "cloze" => ChoicePrompt.Cloze,
        _ => throw new SiftException($"unknown --choice-prompt '{name}'; choose one of {Names}"),
    };

    public static string Name(ChoicePrompt prompt) => prompt.ToString().ToLowerInvariant();

    public static ChoiceText Build(MultipleChoiceQuestion q, ChoicePrompt prompt)
    {
        if (prompt == ChoicePrompt.Cloze) return new ChoiceText("", $"Question: {q.Question}\nAnswer:", q.Choices);
        if (q.Choices.Count > 26) throw new SiftException($"{q.Source}: {q.Choices.Count} choices, but the mmlu prompt letters at most 26 (A to Z); use --choice-prompt cloze");
        var letters = Enumerable.Range(0, q.Choices.Count).Select(i => ((char)('A' + i)).ToString()).ToList();
        var text = PythonText.Strip(q.Question) + "\n" + string.Concat(q.Choices.Select((c, i) => $"{letters[i]}. {c}\n")) + "Answer:";
        var system = q.Subject is { } s ? $"The following are multiple choice questions (with answers) about {s.Replace('_', ' ')}.\n\n" : "";
        return new ChoiceText(system, text, letters);
    }

    /// <summary>
    /// The context string and each continuation string. Raw: context = system + question, continuation
    /// = " " + choice. Under a chat template: the system text (when any) as a system message, the
    /// question as the user message, the generation prompt after it, and the bare choice as continuation.
    /// </summary>
    public static (string Context, IReadOnlyList<string> Continuations) Render(ChoiceText text, ChatTemplate? template)
    {
        if (template == null) return (text.System + text.Question, text.Choices.Select(c => TargetDelimiter + c).ToList());
        var messages = new List<ChatMessage>();
        if (text.System.Length > 0) messages.Add(new ChatMessage(ChatMessage.System, text.System));
        messages.Add(new ChatMessage(ChatMessage.User, text.Question));
        return (template.Render(messages, addGenerationPrompt: true).Text, text.Choices);
    }

    /// <summary>
    /// The token ids of context and continuation as the harness's _encode_pair makes them: trailing
    /// whitespace of the context moves to the continuation, the joined text is encoded, and the
    /// continuation is what follows the context's own token count.
    /// </summary>
    public static (int[] Context, int[] Continuation) Encode(ModelTokenizer tokenizer, string context, string continuation, bool addBos)
    {
        int spaces = 0;
        while (spaces < context.Length && PythonText.IsWhiteSpace(context[context.Length - 1 - spaces])) spaces++;
        if (spaces > 0)
        {
            continuation = context[^spaces..] + continuation;
            context = context[..^spaces];
        }
        var whole = tokenizer.Encode(context + continuation, addBos);
        var contextIds = tokenizer.Encode(context, addBos);
        return (contextIds, whole.Length > contextIds.Length ? whole[contextIds.Length..] : []);
    }
}

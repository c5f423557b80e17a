namespace Sift.Text.Templates;

/// <summary>A conversation rendered to prompt text, with the place of every assistant message in it.</summary>
public sealed record RenderedChat(string Text, IReadOnlyList<AssistantSpan> AssistantSpans)
{
    /// <summary>The text of one assistant message as rendered.</summary>
    public string ContentOf(AssistantSpan span) => Text[span.ContentStart..span.ContentEnd];

    /// <summary>The end-of-turn marker that follows one assistant message.</summary>
    public string TurnEndOf(AssistantSpan span) => Text[span.ContentEnd..span.TurnEnd];
}

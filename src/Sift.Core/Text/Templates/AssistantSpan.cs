namespace Sift.Text.Templates;

/// <summary>
/// Where one assistant message sits in a rendered chat, as character offsets into
/// <see cref="RenderedChat.Text"/>. [ContentStart, ContentEnd) is the message content exactly as
/// rendered (stripped where the family's template strips it); [ContentEnd, TurnEnd) is the
/// end-of-turn marker the model must learn to emit after it. A loss mask over
/// [ContentStart, TurnEnd) trains the answer and its end of turn.
/// </summary>
public sealed record AssistantSpan(int MessageIndex, int ContentStart, int ContentEnd, int TurnEnd);

using System.Text;

namespace Sift.Text.Templates;

/// <summary>Accumulates rendered text and records where each assistant message lands in it.</summary>
internal sealed class ChatTextBuilder
{
    private readonly StringBuilder _text = new();
    private readonly List<AssistantSpan> _spans = [];

    public ChatTextBuilder Append(string? text)
    {
        _text.Append(text);
        return this;
    }

    public ChatTextBuilder AppendAssistant(int messageIndex, string content, string? endOfTurn)
    {
        var contentStart = _text.Length;
        _text.Append(content);
        var contentEnd = _text.Length;
        _text.Append(endOfTurn);
        _spans.Add(new AssistantSpan(messageIndex, contentStart, contentEnd, _text.Length));
        return this;
    }

    public RenderedChat Build() => new(_text.ToString(), _spans.ToArray());
}

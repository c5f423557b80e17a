using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Data.Tokenization;

/// <summary>Why an example did not become a training example.</summary>
public enum TokenizationOutcome
{
    Kept,
    Truncated,
    DroppedTooLong,
    DroppedNothingTrained,
}

/// <summary>
/// Renders a conversation with the model's chat template, encodes it once with character offsets,
/// and marks as trained every token that overlaps an assistant message's content or its end-of-turn
/// marker (the way transformers' assistant-token masks treat a token that straddles the boundary).
/// </summary>
public sealed class ExampleTokenizer(ModelTokenizer tokenizer, ChatTemplate template, TokenizationOptions options)
{
    public ModelTokenizer Tokenizer { get; } = tokenizer;
    public ChatTemplate Template { get; } = template;
    public TokenizationOptions Options { get; } = options;

    /// <summary>The example, or null with the reason it was left out.</summary>
    public (TokenizedExample? Example, TokenizationOutcome Outcome) Tokenize(Conversation conversation)
    {
        var rendered = Template.Render(conversation.Messages, addGenerationPrompt: false);
        var encoded = Tokenizer.EncodeWithOffsets(rendered.Text, addBos: false);
        var trained = Mark(encoded, rendered.AssistantSpans);
        var ids = encoded.Ids;
        var outcome = TokenizationOutcome.Kept;
        if (ids.Length > Options.MaxLength)
        {
            if (Options.OverLength == OverLengthPolicy.Drop) return (null, TokenizationOutcome.DroppedTooLong);
            ids = ids[..Options.MaxLength];
            trained = trained[..Options.MaxLength];
            outcome = TokenizationOutcome.Truncated;
        }
        if (!trained.Any(t => t)) return (null, TokenizationOutcome.DroppedNothingTrained);
        return (new TokenizedExample(conversation.Id, ids, trained), outcome);
    }

    private bool[] Mark(EncodedText encoded, IReadOnlyList<AssistantSpan> spans)
    {
        var trained = new bool[encoded.Count];
        if (Options.TrainOnPrompt)
        {
            Array.Fill(trained, true);
        }
        else
        {
            var chosen = Options.LastTurnOnly && spans.Count > 0 ? [spans[^1]] : spans;
            foreach (var span in chosen)
                for (int i = 0; i < encoded.Count; i++)
                    if (Overlaps(encoded.Spans[i], span.ContentStart, span.TurnEnd)) trained[i] = true;
        }
        if (trained.Length > 0) trained[0] = false;
        return trained;
    }

    private static bool Overlaps(TokenSpan token, int start, int end) =>
        token.Length == 0 ? token.Start >= start && token.Start < end : token.Start < end && token.End > start;
}

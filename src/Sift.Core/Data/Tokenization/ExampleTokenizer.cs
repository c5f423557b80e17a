using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Data.Tokenization;

/// <summary>Why an example did or did not become a training example.</summary>
public enum TokenizationOutcome
{
    Kept,
    /// <summary>Longer than the maximum length; its first MaxLength tokens were kept.</summary>
    Truncated,
    /// <summary>Longer than the maximum length, and the policy is Drop.</summary>
    DroppedTooLong,
    /// <summary>No trained token is left: truncation cut off every assistant token.</summary>
    DroppedNothingTrained,
}

/// <summary>
/// Renders a conversation with the model's chat template, encodes it once with character offsets,
/// and marks as trained every token that overlaps an assistant message's content or its end-of-turn
/// marker: every token holding any byte of that text, the way transformers' assistant-token masks
/// treat a token that straddles the boundary. With Llama-2's " {content}" a SentencePiece or
/// byte-level token "▁Sure"/"ĠSure" holds the template's separator space and the answer's first
/// word, and is trained; so is a byte-level "Ġâ" holding the space and the first byte of "„".
/// </summary>
public sealed class ExampleTokenizer(ModelTokenizer tokenizer, ChatTemplate template, TokenizationOptions options)
{
    public ModelTokenizer Tokenizer { get; } = tokenizer;
    public ChatTemplate Template { get; } = template;
    public TokenizationOptions Options { get; } = options;

    /// <summary>The example, or null with the reason it was left out.</summary>
    public (TokenizedExample? Example, TokenizationOutcome Outcome) Tokenize(Conversation conversation)
    {
        RenderedChat rendered;
        try
        {
            rendered = Template.Render(conversation.Messages, addGenerationPrompt: false);
        }
        catch (SiftException e)
        {
            throw new SiftException($"{conversation.Source}: example '{conversation.Id}': {e.Message}", e);
        }
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
        if (Array.IndexOf(trained, true) < 0) return (null, TokenizationOutcome.DroppedNothingTrained);
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
                for (int i = FirstEndingAtOrAfter(encoded.Spans, span.ContentStart); i < encoded.Count && encoded.Spans[i].Start < span.TurnEnd; i++)
                    if (HoldsTextOf(encoded, i, span.ContentStart, span.TurnEnd)) trained[i] = true;
        }
        // Nothing predicts the first token.
        if (trained.Length > 0) trained[0] = false;
        return trained;
    }

    /// <summary>The first token whose span ends at or after <paramref name="position"/> (spans tile the text in order).</summary>
    private static int FirstEndingAtOrAfter(TokenSpan[] spans, int position)
    {
        int lo = 0, hi = spans.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (spans[mid].End < position) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Whether token <paramref name="i"/> holds any byte of the characters [start, end).</summary>
    private static bool HoldsTextOf(EncodedText encoded, int i, int start, int end)
    {
        var token = encoded.Spans[i];
        if (token.Start < end && token.End > start) return true;
        // Its last bytes begin the character at token.End (a byte-level "Ġâ" before "„").
        return encoded.EndsInsideCharacter[i] && token.End >= start && token.End < end;
    }
}

using Microsoft.ML.Tokenizers;

namespace Sift.Text.Tokenizers;

/// <summary>
/// A Hugging Face pre-tokenizer chain for BpeTokenizer: added tokens are cut out first (leftmost,
/// longest match, as HF's added-token matcher does) and stay whole; each remaining stretch goes
/// through the steps in order, every step cutting the pieces of the one before.
/// </summary>
internal sealed class HfPreTokenizer : PreTokenizer
{
    private readonly PreTokenizerStep[] _steps;
    private readonly AddedTokenMatcher _added;

    public HfPreTokenizer(IReadOnlyList<PreTokenizerStep> steps, AddedTokenMatcher added)
    {
        _steps = [.. steps];
        _added = added;
    }

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Pieces(text);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Pieces(text.ToString());

    /// <summary>The pieces in text order, each with whether it is an added token.</summary>
    public List<(int Offset, int Length, bool Added)> PiecesWithKind(string text)
    {
        var result = new List<(int, int, bool)>();
        foreach (var (start, length, isAdded) in _added.Segments(text))
        {
            if (isAdded) { result.Add((start, length, true)); continue; }
            foreach (var (o, l) in SplitOrdinary(text, start, length)) result.Add((o, l, false));
        }
        return result;
    }

    private List<(int Offset, int Length)> Pieces(string text) =>
        PiecesWithKind(text).Select(p => (p.Offset, p.Length)).ToList();

    private List<(int Offset, int Length)> SplitOrdinary(string text, int start, int length)
    {
        var pieces = new List<(int, int)> { (start, length) };
        foreach (var step in _steps)
        {
            var next = new List<(int, int)>(pieces.Count * 2);
            foreach (var (o, l) in pieces) step.Split(text, o, l, next);
            pieces = next;
        }
        return pieces;
    }
}

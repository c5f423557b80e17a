using System.Text.RegularExpressions;

namespace Sift.Text.Tokenizers;

/// <summary>One step of a Hugging Face pre-tokenizer chain: cuts a piece of text into smaller pieces.</summary>
internal abstract class PreTokenizerStep
{
    /// <summary>Appends the pieces of text[start..start+length] to <paramref name="pieces"/> as (offset, length).</summary>
    public abstract void Split(string text, int start, int length, List<(int Offset, int Length)> pieces);

    /// <summary>GPT-2's pattern, which a ByteLevel pre-tokenizer with use_regex applies.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static PreTokenizerStep Isolate(string pattern) => new RegexIsolated(new Regex(pattern, RegexOptions.CultureInvariant));
    public static PreTokenizerStep Remove(string pattern) => new RegexRemoved(new Regex(pattern, RegexOptions.CultureInvariant));
    public static PreTokenizerStep Digits(bool individually) => new DigitRuns(individually);

    /// <summary>HF "Isolated": every match is a piece, and so is every stretch between matches.</summary>
    private sealed class RegexIsolated(Regex regex) : PreTokenizerStep
    {
        public override void Split(string text, int start, int length, List<(int, int)> pieces)
        {
            int at = start, end = start + length;
            for (var m = regex.Match(text, start, length); m.Success; m = m.NextMatch())
            {
                if (m.Length == 0) continue;
                if (m.Index > at) pieces.Add((at, m.Index - at));
                pieces.Add((m.Index, m.Length));
                at = m.Index + m.Length;
            }
            if (at < end) pieces.Add((at, end - at));
        }
    }

    /// <summary>HF "Removed": matches are dropped (whitespace splitting), the stretches between them kept.</summary>
    private sealed class RegexRemoved(Regex regex) : PreTokenizerStep
    {
        public override void Split(string text, int start, int length, List<(int, int)> pieces)
        {
            int at = start, end = start + length;
            for (var m = regex.Match(text, start, length); m.Success; m = m.NextMatch())
            {
                if (m.Index > at) pieces.Add((at, m.Index - at));
                at = Math.Max(at, m.Index + m.Length);
            }
            if (at < end) pieces.Add((at, end - at));
        }
    }

    /// <summary>HF "Digits": numeric characters apart from the rest, one piece per digit when individually.</summary>
    private sealed class DigitRuns(bool individually) : PreTokenizerStep
    {
        public override void Split(string text, int start, int length, List<(int, int)> pieces)
        {
            int end = start + length, at = start;
            while (at < end)
            {
                bool digit = char.IsNumber(text[at]);
                int stop = at + 1;
                if (!(digit && individually))
                    while (stop < end && char.IsNumber(text[stop]) == digit) stop++;
                pieces.Add((at, stop - at));
                at = stop;
            }
        }
    }
}

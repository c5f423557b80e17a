using System.Text.RegularExpressions;
using Sift.Text.Templates;

namespace Sift.Eval;

/// <summary>IFEval's two paragraph rules, ported from the reference implementation (Zhou et al. 2023).</summary>
internal static partial class Paragraphs
{
    /// <summary>
    /// length_constraints:number_paragraphs: paragraphs split by "***" (with one optional whitespace
    /// each side); an empty first or last part is not counted, an empty part between two others
    /// fails the rule (-1 here).
    /// </summary>
    public static int Count(string text)
    {
        var parts = Divider().Split(text);
        int count = parts.Length;
        for (int i = 0; i < parts.Length; i++)
        {
            if (PythonText.Strip(parts[i]).Length > 0) continue;
            if (i == 0 || i == parts.Length - 1) count--;
            else return -1;
        }
        return count;
    }

    /// <summary>
    /// length_constraints:nth_paragraph_first_word: paragraphs split by "\n\n"; the count of non-empty
    /// ones must be <paramref name="count"/>, and paragraph <paramref name="nth"/> of the split (empty
    /// ones included, as the reference indexes) must start with the word: its first
    /// whitespace-separated token, leading quotes removed, cut at the first of . , ? ! ' " and lowercased.
    /// </summary>
    public static bool NthStartsWith(string text, int count, int nth, string word)
    {
        if (nth < 1) throw new SiftException($"instruction 'length_constraints:nth_paragraph_first_word': 'nth_paragraph' must be at least 1, got {nth}");
        var paragraphs = text.Split("\n\n");
        int nonEmpty = paragraphs.Count(p => PythonText.Strip(p).Length > 0);
        if (nth > nonEmpty) return false;
        var paragraph = PythonText.Strip(paragraphs[nth - 1]);
        if (paragraph.Length == 0) return false;
        int end = 0;
        while (end < paragraph.Length && !PythonText.IsWhiteSpace(paragraph[end])) end++;
        var first = paragraph[..end].TrimStart('\'').TrimStart('"');
        var cut = first.IndexOfAny(['.', ',', '?', '!', '\'', '"']);
        var found = (cut < 0 ? first : first[..cut]).ToLowerInvariant();
        return nonEmpty == count && found == word.ToLowerInvariant();
    }

    [GeneratedRegex(@"[\s\x1c-\x1f]?\*\*\*[\s\x1c-\x1f]?")] private static partial Regex Divider();
}

using System.Text.RegularExpressions;
using Sift.Text.Templates;

namespace Sift.Eval;

/// <summary>
/// GSM8K answer extraction and comparison as lm-evaluation-harness's gsm8k task (version 3)
/// defines them (Biderman et al. 2024, "Lessons from the Trenches on Reproducible Evaluation of
/// Language Models"; GSM8K: Cobbe et al. 2021). Two filters read an answer from the response:
/// <list type="bullet">
/// <item>strict-match: the first match of <c>#### (\-?[0-9\.\,]+)</c>, its group, stripped;</item>
/// <item>flexible-extract: the last match of <c>(-?[$0-9.,]{2,})|(-?[0-9]+)</c>, its first non-empty group, stripped.</item>
/// </list>
/// Without a match the filter gives "[invalid]". The metric is exact_match with ignore_case and
/// regexes_to_ignore <c>,</c> <c>\$</c> <c>(?s).*#### </c> <c>\.$</c>, removed in that order from
/// both the extracted answer and the whole reference answer, then lowercased; the strings are
/// compared, not the numbers ("72.0" does not equal "72"). docs/EVALUATION.md compares this with
/// Sift's numeric <see cref="FinalNumber"/> matcher.
/// </summary>
public static partial class Gsm8kAnswers
{
    /// <summary>The harness's fallback when a filter finds nothing.</summary>
    public const string Invalid = "[invalid]";

    public static string Strict(string response)
    {
        var match = StrictPattern().Match(response);
        return match.Success ? PythonText.Strip(match.Groups[1].Value) : Invalid;
    }

    public static string Flexible(string response)
    {
        var matches = FlexiblePattern().Matches(response);
        if (matches.Count == 0) return Invalid;
        var last = matches[^1];
        var group = last.Groups[1].Value.Length > 0 ? last.Groups[1].Value : last.Groups[2].Value;
        return PythonText.Strip(group);
    }

    /// <summary>exact_match's normalization: the four ignored patterns removed in order, then lowercase.</summary>
    public static string Normalize(string text)
    {
        text = text.Replace(",", "", StringComparison.Ordinal).Replace("$", "", StringComparison.Ordinal);
        text = ThroughMarker().Replace(text, "");
        text = TrailingDot().Replace(text, "");
        return text.ToLowerInvariant();
    }

    public static bool StrictMatch(string response, string reference) => Normalize(Strict(response)) == Normalize(reference);

    public static bool FlexibleMatch(string response, string reference) => Normalize(Flexible(response)) == Normalize(reference);

    [GeneratedRegex(@"#### (\-?[0-9\.\,]+)")] private static partial Regex StrictPattern();
    [GeneratedRegex(@"(-?[$0-9.,]{2,})|(-?[0-9]+)")] private static partial Regex FlexiblePattern();
    // Python's re and .NET agree here: (?s) lets . cross lines, and $ without multiline matches at
    // the end or before a final "\n".
    [GeneratedRegex(@"(?s).*#### ")] private static partial Regex ThroughMarker();
    [GeneratedRegex(@"\.$")] private static partial Regex TrailingDot();
}

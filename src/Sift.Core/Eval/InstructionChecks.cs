using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sift.Eval;

/// <summary>
/// Verifiable instruction checks in the style of IFEval (Zhou et al. 2023), addressed by IFEval's
/// instruction ids with IFEval's keyword arguments. Word counts use \w+ tokens and sentences are
/// split on terminal punctuation, a documented approximation of IFEval's NLTK-based counting.
/// "language:response_language" needs a language detector and is reported as unsupported.
/// </summary>
public static partial class InstructionChecks
{
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>
    {
        "punctuation:no_comma", "detectable_format:title", "length_constraints:number_words",
        "length_constraints:number_sentences", "length_constraints:number_paragraphs",
        "length_constraints:nth_paragraph_first_word", "keywords:existence",
        "keywords:forbidden_words", "keywords:frequency", "keywords:letter_frequency", "detectable_format:json_format",
        "detectable_format:number_bullet_lists", "detectable_format:number_highlighted_sections",
        "detectable_format:multiple_sections", "detectable_content:postscript", "detectable_content:number_placeholders",
        "change_case:english_lowercase", "change_case:english_capital", "change_case:capital_word_frequency",
        "startend:end_checker", "startend:start_checker", "startend:quotation", "combination:repeat_prompt",
        "combination:two_responses", "detectable_format:constrained_response",
    };

    /// <summary>Whether <paramref name="response"/> follows instruction <paramref name="id"/>; null when the id is unsupported.</summary>
    public static bool? Check(string id, string response, JsonElement kwargs)
    {
        var k = new Args(kwargs, id);
        return id switch
        {
            "punctuation:no_comma" => !response.Contains(','),
            "detectable_format:title" => TitlePattern().Matches(response).Any(m => m.Groups[1].Value.Trim().Length > 0),
            "length_constraints:number_words" => Compare(WordPattern().Count(response), k.Relation("relation"), k.Int("num_words")),
            "length_constraints:number_sentences" => Compare(CountSentences(response), k.Relation("relation"), k.Int("num_sentences")),
            "length_constraints:number_paragraphs" => CountParagraphs(response) == k.Int("num_paragraphs"),
            "length_constraints:nth_paragraph_first_word" => NthParagraphStartsWith(response, k.Int("num_paragraphs"), k.Int("nth_paragraph"), k.String("first_word")),
            "keywords:existence" => k.Strings("keywords").All(w => Regex.IsMatch(response, Regex.Escape(w), RegexOptions.IgnoreCase)),
            "keywords:forbidden_words" => k.Strings("forbidden_words").All(w => !Regex.IsMatch(response, $@"\b{Regex.Escape(w)}\b", RegexOptions.IgnoreCase)),
            "keywords:frequency" => Compare(Regex.Matches(response, Regex.Escape(k.String("keyword")), RegexOptions.IgnoreCase).Count, k.Relation("relation"), k.Int("frequency")),
            "keywords:letter_frequency" => Compare(response.ToLowerInvariant().Count(c => c == char.ToLowerInvariant(k.String("letter")[0])), k.Relation("let_relation"), k.Int("let_frequency")),
            "detectable_format:json_format" => IsJson(response),
            "detectable_format:number_bullet_lists" => StarBullet().Count(response) + DashBullet().Count(response) == k.Int("num_bullets"),
            "detectable_format:number_highlighted_sections" => CountHighlights(response) >= k.Int("num_highlights"),
            "detectable_format:multiple_sections" => Regex.Split(response, $@"\s?{Regex.Escape(k.String("section_spliter"))}\s?\d+\s?").Length - 1 >= k.Int("num_sections"),
            "detectable_content:postscript" => HasPostscript(response, k.String("postscript_marker")),
            "detectable_content:number_placeholders" => Placeholder().Count(response) >= k.Int("num_placeholders"),
            "change_case:english_lowercase" => response == response.ToLowerInvariant(),
            "change_case:english_capital" => response == response.ToUpperInvariant(),
            "change_case:capital_word_frequency" => Compare(WordPattern().Matches(response).Count(m => m.Value.Any(char.IsLetter) && m.Value == m.Value.ToUpperInvariant()), k.Relation("capital_relation"), k.Int("capital_frequency")),
            "startend:end_checker" => response.Trim().ToLowerInvariant().EndsWith(k.String("end_phrase").Trim().ToLowerInvariant(), StringComparison.Ordinal),
            "startend:start_checker" => response.Trim().ToLowerInvariant().StartsWith(k.String("start_phrase").Trim().ToLowerInvariant(), StringComparison.Ordinal),
            "startend:quotation" => response.Trim() is { Length: > 1 } q && q[0] == '"' && q[^1] == '"',
            "combination:repeat_prompt" => response.Trim().ToLowerInvariant().StartsWith(k.String("prompt_to_repeat").Trim().ToLowerInvariant(), StringComparison.Ordinal),
            "combination:two_responses" => TwoResponses(response),
            "detectable_format:constrained_response" => new[] { "My answer is yes.", "My answer is no.", "My answer is maybe." }.Any(response.Contains),
            _ => null,
        };
    }

    private static bool Compare(int count, string relation, int n) => relation == "less than" ? count < n : count >= n;

    private static int CountSentences(string text) =>
        SentenceEnd().Split(text.Trim()).Count(s => s.Trim().Length > 0);

    private static int CountParagraphs(string text)
    {
        var parts = ParagraphBreak().Split(text);
        for (int i = 0; i < parts.Length; i++)
            if (parts[i].Trim().Length == 0 && i != 0 && i != parts.Length - 1) return -1; // an empty paragraph in the middle fails
        return parts.Count(p => p.Trim().Length > 0);
    }

    /// <summary>Paragraphs separated by blank lines: exactly <paramref name="count"/> of them, the nth starting with the word.</summary>
    private static bool NthParagraphStartsWith(string text, int count, int nth, string word)
    {
        var paragraphs = Regex.Split(text, @"\n\n").Where(p => p.Trim().Length > 0).ToArray();
        if (paragraphs.Length != count || nth < 1 || nth > paragraphs.Length) return false;
        var first = paragraphs[nth - 1].Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        var cleaned = new string(first.Where(c => !char.IsPunctuation(c)).ToArray()).ToLowerInvariant();
        return cleaned == word.ToLowerInvariant();
    }

    private static int CountHighlights(string text) =>
        SingleHighlight().Matches(text).Count(m => m.Value.Trim('*').Trim().Length > 0)
        + DoubleHighlight().Matches(text).Count(m => m.Value.Trim('*').Trim().Length > 0);

    private static bool HasPostscript(string text, string marker)
    {
        var pattern = marker switch
        {
            "P.P.S" => @"\s*p\.\s?p\.\s?s.*$",
            "P.S." => @"\s*p\.\s?s\..*$",
            _ => $@"\s*{Regex.Escape(marker.ToLowerInvariant())}.*$",
        };
        return Regex.IsMatch(text.ToLowerInvariant(), pattern, RegexOptions.Multiline);
    }

    private static bool IsJson(string text)
    {
        var t = text.Trim();
        foreach (var fence in new[] { "```json", "```Json", "```JSON", "```" }) if (t.StartsWith(fence)) { t = t[fence.Length..]; break; }
        if (t.EndsWith("```")) t = t[..^3];
        try { using var _ = JsonDocument.Parse(t.Trim()); return true; }
        catch (JsonException) { return false; }
    }

    private static bool TwoResponses(string text)
    {
        var parts = text.Split("******");
        var nonEmpty = new List<string>();
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Trim().Length > 0) nonEmpty.Add(parts[i].Trim());
            else if (i != 0 && i != parts.Length - 1) return false;
        }
        return nonEmpty.Count == 2 && nonEmpty[0] != nonEmpty[1];
    }

    private readonly struct Args(JsonElement kwargs, string id)
    {
        private JsonElement Get(string key) =>
            kwargs.ValueKind == JsonValueKind.Object && kwargs.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
                ? v : throw new SiftException($"instruction '{id}' needs the argument '{key}'");

        public int Int(string key) => Get(key) is { ValueKind: JsonValueKind.Number } v ? v.GetInt32() : throw new SiftException($"instruction '{id}': '{key}' must be a number");
        public string String(string key) => Get(key) is { ValueKind: JsonValueKind.String } v && v.GetString()!.Length > 0 ? v.GetString()! : throw new SiftException($"instruction '{id}': '{key}' must be a non-empty string");
        public string[] Strings(string key) => Get(key).EnumerateArray().Select(e => e.GetString() ?? "").ToArray();

        public string Relation(string key)
        {
            var r = String(key);
            return r is "less than" or "at least" ? r : throw new SiftException($"instruction '{id}': '{key}' must be \"less than\" or \"at least\", got \"{r}\"");
        }
    }

    [GeneratedRegex(@"<<([^\n]+)>>")] private static partial Regex TitlePattern();
    [GeneratedRegex(@"\w+")] private static partial Regex WordPattern();
    [GeneratedRegex(@"(?<=[.!?])\s+")] private static partial Regex SentenceEnd();
    [GeneratedRegex(@"\s?\*\*\*\s?")] private static partial Regex ParagraphBreak();
    [GeneratedRegex(@"^\s*\*[^\*].*$", RegexOptions.Multiline)] private static partial Regex StarBullet();
    [GeneratedRegex(@"^\s*-.*$", RegexOptions.Multiline)] private static partial Regex DashBullet();
    [GeneratedRegex(@"\*[^\n\*]*\*")] private static partial Regex SingleHighlight();
    [GeneratedRegex(@"\*\*[^\n\*]*\*\*")] private static partial Regex DoubleHighlight();
    [GeneratedRegex(@"\[.*?\]")] private static partial Regex Placeholder();
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Sift.Text.Templates;

namespace Sift.Eval;

/// <summary>
/// IFEval's verifiable instructions (Zhou et al. 2023), addressed by IFEval's instruction ids with
/// IFEval's keyword arguments, each ported rule for rule from the reference implementation's
/// check_following: its regular expressions (with Python's \s, \w and \b), its Python strip() and
/// case tests, and keywords read as regular expressions as the reference reads them. Two rules
/// count with NLTK there and approximate here (sentences split on terminal punctuation; capital
/// words as \w+ runs), and the reference's English-language test of the two case rules is not
/// made; "language:response_language" needs a language detector and is reported as unsupported.
/// docs/EVALUATION.md lists each rule's agreement with the reference.
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

    /// <summary>Python's \s: .NET's plus the separator controls U+001C..U+001F.</summary>
    private const string S = @"[\s\x1c-\x1f]";
    /// <summary>Python's \w: letters, numbers (any kind) and "_" (.NET's \w also takes combining marks).</summary>
    private const string W = @"[\p{L}\p{N}_]";
    /// <summary>Python's \b, between a Python \w and anything else.</summary>
    private const string B = $"(?:(?<={W})(?!{W})|(?<!{W})(?={W}))";

    /// <summary>
    /// The reference's check_following: whether <paramref name="response"/> follows instruction
    /// <paramref name="id"/>; null when the id is unsupported. (IFEval's strict and loose verdicts
    /// add the empty-response rule: see <see cref="IfEvalVerdicts"/>.)
    /// </summary>
    public static bool? Check(string id, string response, JsonElement kwargs)
    {
        var k = new Args(kwargs, id);
        return id switch
        {
            "punctuation:no_comma" => !response.Contains(','),
            "detectable_format:title" => TitlePattern().Matches(response).Any(m => PythonText.Strip(m.Value.TrimStart('<').TrimEnd('>')).Length > 0),
            "length_constraints:number_words" => Compare(WordPattern().Count(response), k.Relation("relation"), k.Int("num_words")),
            "length_constraints:number_sentences" => Compare(CountSentences(response), k.Relation("relation"), k.Int("num_sentences")),
            "length_constraints:number_paragraphs" => Paragraphs.Count(response) == k.Int("num_paragraphs"),
            "length_constraints:nth_paragraph_first_word" => Paragraphs.NthStartsWith(response, k.Int("num_paragraphs"), k.Int("nth_paragraph"), k.String("first_word")),
            "keywords:existence" => k.Strings("keywords").All(w => k.Pattern(w, RegexOptions.IgnoreCase).IsMatch(response)),
            "keywords:forbidden_words" => k.Strings("forbidden_words").All(w => !k.Pattern(B + w + B, RegexOptions.IgnoreCase).IsMatch(response)),
            "keywords:frequency" => Compare(k.Pattern(PythonText.Strip(k.String("keyword")), RegexOptions.IgnoreCase).Count(response), k.Relation("relation"), k.Int("frequency")),
            "keywords:letter_frequency" => Compare(response.ToLowerInvariant().Count(k.Letter().Equals), k.Relation("let_relation"), k.Int("let_frequency")),
            "detectable_format:json_format" => IsJson(response),
            "detectable_format:number_bullet_lists" => StarBullet().Count(response) + DashBullet().Count(response) == k.Int("num_bullets"),
            "detectable_format:number_highlighted_sections" => CountHighlights(response) >= k.Int("num_highlights"),
            "detectable_format:multiple_sections" => k.Pattern($"{S}?{PythonText.Strip(k.String("section_spliter"))}{S}?\\d+{S}?", RegexOptions.None).Split(response).Length - 1 >= k.Int("num_sections"),
            "detectable_content:postscript" => HasPostscript(response, PythonText.Strip(k.String("postscript_marker")), k),
            "detectable_content:number_placeholders" => Placeholder().Count(response) >= k.Int("num_placeholders"),
            "change_case:english_lowercase" => PythonCase.IsLower(response),
            "change_case:english_capital" => PythonCase.IsUpper(response),
            "change_case:capital_word_frequency" => Compare(WordPattern().Matches(response).Count(m => PythonCase.IsUpper(m.Value)), k.Relation("capital_relation"), k.Int("capital_frequency")),
            "startend:end_checker" => PythonText.Strip(response).Trim('"').ToLowerInvariant().EndsWith(PythonText.Strip(k.String("end_phrase")).ToLowerInvariant(), StringComparison.Ordinal),
            "startend:start_checker" => PythonText.Strip(response).ToLowerInvariant().StartsWith(PythonText.Strip(k.String("start_phrase")).ToLowerInvariant(), StringComparison.Ordinal),
            "startend:quotation" => PythonText.Strip(response) is { Length: > 1 } q && q[0] == '"' && q[^1] == '"',
            "combination:repeat_prompt" => PythonText.Strip(response).ToLowerInvariant().StartsWith(PythonText.Strip(k.String("prompt_to_repeat")).ToLowerInvariant(), StringComparison.Ordinal),
            "combination:two_responses" => TwoResponses(response),
            "detectable_format:constrained_response" => new[] { "My answer is yes.", "My answer is no.", "My answer is maybe." }.Any(PythonText.Strip(response).Contains),
            _ => null,
        };
    }

    private static bool Compare(int count, string relation, int n) => relation == "less than" ? count < n : count >= n;

    /// <summary>An approximation of NLTK's Punkt sentence count: splits after . ! ? and whitespace.</summary>
    private static int CountSentences(string text) =>
        SentenceEnd().Split(text.Trim()).Count(s => s.Trim().Length > 0);

    private static int CountHighlights(string text) =>
        SingleHighlight().Matches(text).Count(m => PythonText.Strip(m.Value.Trim('*')).Length > 0)
        + DoubleHighlight().Matches(text).Count(m => PythonText.Strip(m.Value[2..^2]).Length > 0);

    private static bool HasPostscript(string text, string marker, Args k)
    {
        var pattern = marker switch
        {
            "P.P.S" => $@"{S}*p\.{S}?p\.{S}?s.*$",
            "P.S." => $@"{S}*p\.{S}?s\..*$",
            _ => $"{S}*{marker.ToLowerInvariant()}.*$", // the reference puts the marker into the pattern as it is
        };
        return k.Pattern(pattern, RegexOptions.Multiline).IsMatch(text.ToLowerInvariant());
    }

    /// <summary>The text without "```json" (or "```Json", "```JSON", then "```", each in turn) in front and "```" behind parses as Python's json.loads parses.</summary>
    private static bool IsJson(string text)
    {
        var t = PythonText.Strip(text);
        foreach (var fence in new[] { "```json", "```Json", "```JSON", "```" })
            if (t.StartsWith(fence, StringComparison.Ordinal)) t = t[fence.Length..];
        if (t.EndsWith("```", StringComparison.Ordinal)) t = t[..^3];
        return PythonJson.Parses(PythonText.Strip(t));
    }

    private static bool TwoResponses(string text)
    {
        var parts = text.Split("******");
        var valid = new List<string>();
        for (int i = 0; i < parts.Length; i++)
        {
            if (PythonText.Strip(parts[i]).Length > 0) valid.Add(parts[i]);
            else if (i != 0 && i != parts.Length - 1) return false;
        }
        return valid.Count == 2 && PythonText.Strip(valid[0]) != PythonText.Strip(valid[1]);
    }

    private readonly struct Args(JsonElement kwargs, string id)
    {
        private JsonElement Get(string key) =>
            kwargs.ValueKind == JsonValueKind.Object && kwargs.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
                ? v : throw new SiftException($"instruction '{id}' needs the argument '{key}'");

        public int Int(string key) => Get(key) is { ValueKind: JsonValueKind.Number } v ? v.GetInt32() : throw new SiftException($"instruction '{id}': '{key}' must be a number");
        public string String(string key) => Get(key) is { ValueKind: JsonValueKind.String } v && v.GetString()!.Length > 0 ? v.GetString()! : throw new SiftException($"instruction '{id}': '{key}' must be a non-empty string");
        public string[] Strings(string key) => Get(key).EnumerateArray().Select(e => e.GetString() ?? "").ToArray();

        public char Letter() => String("letter") is { Length: 1 } l
            ? PythonText.Strip(l).ToLowerInvariant().FirstOrDefault('\0')
            : throw new SiftException($"instruction '{id}': 'letter' must be one letter");

        public string Relation(string key)
        {
            var r = String(key);
            return r is "less than" or "at least" ? r : throw new SiftException($"instruction '{id}': '{key}' must be \"less than\" or \"at least\", got \"{r}\"");
        }

        /// <summary>A pattern built from an argument, as the reference builds it (the argument is a regular expression there too).</summary>
        public Regex Pattern(string pattern, RegexOptions options)
        {
            try { return new Regex(pattern, options | RegexOptions.CultureInvariant); }
            catch (ArgumentException e)
            {
                throw new SiftException($"instruction '{id}': IFEval reads this argument as a regular expression, and \"{pattern}\" is not one ({e.Message}); escape its special characters");
            }
        }
    }

    [GeneratedRegex(@"<<[^\n]+>>")] private static partial Regex TitlePattern();
    [GeneratedRegex(W + "+")] internal static partial Regex WordPattern();
    [GeneratedRegex(@"(?<=[.!?])\s+")] private static partial Regex SentenceEnd();
    [GeneratedRegex("^" + S + @"*\*[^\*].*$", RegexOptions.Multiline)] private static partial Regex StarBullet();
    [GeneratedRegex("^" + S + "*-.*$", RegexOptions.Multiline)] private static partial Regex DashBullet();
    [GeneratedRegex(@"\*[^\n\*]*\*")] private static partial Regex SingleHighlight();
    [GeneratedRegex(@"\*\*[^\n\*]*\*\*")] private static partial Regex DoubleHighlight();
    [GeneratedRegex(@"\[.*?\]")] private static partial Regex Placeholder();
}

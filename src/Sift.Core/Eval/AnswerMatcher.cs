namespace Sift.Eval;

/// <summary>How a generated answer is compared with the reference answer.</summary>
public enum AnswerMatcher
{
    /// <summary>GSM8K: the final number of each side (the reference's "#### N"), compared numerically.</summary>
    Gsm8k,
    /// <summary>The trimmed texts are equal.</summary>
    Exact,
    /// <summary>The trimmed reference appears in the generated text.</summary>
    Contains,
}

public static class AnswerMatchers
{
    public const string Choices = "gsm8k, exact, contains";

    public static AnswerMatcher Parse(string name) => name.ToLowerInvariant() switch
    {
        "gsm8k" => AnswerMatcher.Gsm8k,
        "exact" => AnswerMatcher.Exact,
        "contains" => AnswerMatcher.Contains,
        _ => throw new SiftException($"unknown matcher '{name}'; choose one of {Choices}"),
    };

    public static string Name(AnswerMatcher matcher) => matcher.ToString().ToLowerInvariant();

    public static bool Matches(AnswerMatcher matcher, string generated, string reference) => matcher switch
    {
        AnswerMatcher.Gsm8k => FinalNumber.Matches(generated, reference),
        AnswerMatcher.Exact => generated.Trim() == reference.Trim(),
        AnswerMatcher.Contains => generated.Contains(reference.Trim(), StringComparison.Ordinal),
        _ => throw new ArgumentOutOfRangeException(nameof(matcher)),
    };
}

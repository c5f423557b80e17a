namespace Sift.Eval;

/// <summary>How a generated answer is compared with the reference answer.</summary>
public enum AnswerMatcher
{
    /// <summary>GSM8K: the final number of each side (the reference's "#### N"), compared numerically.</summary>
    Gsm8k,
    /// <summary>GSM8K as lm-evaluation-harness's strict-match filter reads it (<see cref="Gsm8kAnswers.Strict"/>).</summary>
    Gsm8kStrict,
    /// <summary>GSM8K as lm-evaluation-harness's flexible-extract filter reads it (<see cref="Gsm8kAnswers.Flexible"/>).</summary>
    Gsm8kFlexible,
    /// <summary>The trimmed texts are equal.</summary>
    Exact,
    /// <summary>The trimmed reference appears in the generated text.</summary>
    Contains,
}

public static class AnswerMatchers
{
    public const string Choices = "gsm8k, gsm8k-strict, gsm8k-flexible, exact, contains";

    public static AnswerMatcher Parse(string name) => name.ToLowerInvariant() switch
    {
        "gsm8k" => AnswerMatcher.Gsm8k,
        "gsm8k-strict" => AnswerMatcher.Gsm8kStrict,
        "gsm8k-flexible" => AnswerMatcher.Gsm8kFlexible,
        "exact" => AnswerMatcher.Exact,
        "contains" => AnswerMatcher.Contains,
        _ => throw new SiftException($"unknown matcher '{name}'; choose one of {Choices}"),
    };

    public static string Name(AnswerMatcher matcher) => matcher switch
    {
        AnswerMatcher.Gsm8kStrict => "gsm8k-strict",
        AnswerMatcher.Gsm8kFlexible => "gsm8k-flexible",
        _ => matcher.ToString().ToLowerInvariant(),
    };

    /// <summary>The GSM8K matchers: with any of them both of lm-evaluation-harness's GSM8K accuracies are reported too.</summary>
    public static bool IsGsm8k(AnswerMatcher matcher) => matcher is AnswerMatcher.Gsm8k or AnswerMatcher.Gsm8kStrict or AnswerMatcher.Gsm8kFlexible;

    public static bool Matches(AnswerMatcher matcher, string generated, string reference) => matcher switch
    {
        AnswerMatcher.Gsm8k => FinalNumber.Matches(generated, reference),
        AnswerMatcher.Gsm8kStrict => Gsm8kAnswers.StrictMatch(generated, reference),
        AnswerMatcher.Gsm8kFlexible => Gsm8kAnswers.FlexibleMatch(generated, reference),
        AnswerMatcher.Exact => generated.Trim() == reference.Trim(),
        AnswerMatcher.Contains => generated.Contains(reference.Trim(), StringComparison.Ordinal),
        _ => throw new ArgumentOutOfRangeException(nameof(matcher)),
    };
}

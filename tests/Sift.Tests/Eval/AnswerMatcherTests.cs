using Sift.Eval;

namespace Sift.Tests.Eval;

public class AnswerMatcherTests
{
    [Theory]
    [InlineData("gsm8k", "She has 3 + 4 = 7 apples, so the answer is 7.", "3 + 4 = <<3+4=7>>7\n#### 7", true)]
    [InlineData("gsm8k", "It costs $1,250.00", "#### 1250", true)]
    [InlineData("gsm8k", "The answer is 7, not 8", "#### 7", false)]
    [InlineData("gsm8k", "no number at all", "#### 7", false)]
    [InlineData("gsm8k", "12", "12", true)]
    [InlineData("gsm8k", "So the total is 72.0", "#### 72", true)]
    [InlineData("gsm8k-strict", "So the total is 72.0", "#### 72", false)]
    [InlineData("gsm8k-flexible", "So the total is 72.0", "#### 72", false)]
    [InlineData("gsm8k-strict", "6 * 12 = 72\n#### 72", "#### 72", true)]
    [InlineData("gsm8k-flexible", "so 72.", "#### 72", true)]
    [InlineData("exact", "  Paris\n", "Paris", true)]
    [InlineData("exact", "paris", "Paris", false)]
    [InlineData("exact", "Paris, France", "Paris", false)]
    [InlineData("contains", "The capital is Paris, France.", " Paris ", true)]
    [InlineData("contains", "The capital is paris.", "Paris", false)]
    public void ComparesGeneratedAnswersWithTheReference(string matcher, string generated, string reference, bool expected) =>
        Assert.Equal(expected, AnswerMatchers.Matches(AnswerMatchers.Parse(matcher), generated, reference));

    /// <summary>docs/EVALUATION.md's table of where Sift's numeric matcher and the harness's two filters differ.</summary>
    [Theory]
    [InlineData("The answer is 18.", "#### 18", true, false, true)]
    [InlineData("#### 18\nWait, actually 20", "#### 18", false, true, false)]
    [InlineData("Total: 72.0", "#### 72", true, false, false)]
    [InlineData("It is $18.00", "#### 18", true, false, false)]
    [InlineData("So 5... done", "#### 5", true, false, false)]
    public void TheThreeGsm8kMatchersDifferAsDocumented(string generated, string reference, bool numeric, bool strict, bool flexible) =>
        Assert.Equal((numeric, strict, flexible), (AnswerMatchers.Matches(AnswerMatcher.Gsm8k, generated, reference),
            AnswerMatchers.Matches(AnswerMatcher.Gsm8kStrict, generated, reference), AnswerMatchers.Matches(AnswerMatcher.Gsm8kFlexible, generated, reference)));

    [Fact]
    public void AnUnknownMatcherNamesTheChoices()
    {
        var e = Assert.Throws<SiftException>(() => AnswerMatchers.Parse("fuzzy"));
        Assert.Equal("unknown matcher 'fuzzy'; choose one of gsm8k, gsm8k-strict, gsm8k-flexible, exact, contains", e.Message);
    }

    [Fact]
    public void NamesRoundTrip()
    {
        foreach (var m in Enum.GetValues<AnswerMatcher>())
            Assert.Equal(m, AnswerMatchers.Parse(AnswerMatchers.Name(m)));
        Assert.Equal(["gsm8k", "gsm8k-strict", "gsm8k-flexible"], Enum.GetValues<AnswerMatcher>().Where(AnswerMatchers.IsGsm8k).Select(AnswerMatchers.Name));
    }
}

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
    [InlineData("exact", "  Paris\n", "Paris", true)]
    [InlineData("exact", "paris", "Paris", false)]
    [InlineData("exact", "Paris, France", "Paris", false)]
    [InlineData("contains", "The capital is Paris, France.", " Paris ", true)]
    [InlineData("contains", "The capital is paris.", "Paris", false)]
    public void ComparesGeneratedAnswersWithTheReference(string matcher, string generated, string reference, bool expected) =>
        Assert.Equal(expected, AnswerMatchers.Matches(AnswerMatchers.Parse(matcher), generated, reference));

    [Fact]
    public void AnUnknownMatcherNamesTheChoices()
    {
        var e = Assert.Throws<SiftException>(() => AnswerMatchers.Parse("fuzzy"));
        Assert.Equal("unknown matcher 'fuzzy'; choose one of gsm8k, exact, contains", e.Message);
    }
}

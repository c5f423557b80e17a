using System.Text.Json;
using Sift.Eval;

namespace Sift.Tests.Eval;

/// <summary>
/// lm-evaluation-harness's GSM8K filters and exact_match. Expected values are what the harness's
/// regexes and normalization give for each string (worked through by hand from the gsm8k task's
/// definition in docs/EVALUATION.md).
/// </summary>
public class Gsm8kAnswersTests
{
    [Fact]
    public void StrictMatchReadsTheGoldAnswerOfEveryGsm8kTestProblem()
    {
        // Positive control: each reference answer, taken as a response, is read by strict-match as
        // the number after its "#### " and matches itself; flexible-extract's last number is that one too.
        var lines = File.ReadAllLines(Paths.Asset("data", "gsm8k", "test.jsonl"));
        Assert.Equal(1319, lines.Length);
        foreach (var line in lines)
        {
            var answer = JsonDocument.Parse(line).RootElement.GetProperty("answer").GetString()!;
            var final = answer[(answer.LastIndexOf("#### ", StringComparison.Ordinal) + 5)..];
            Assert.Equal(final, Gsm8kAnswers.Strict(answer));
            Assert.Equal(final.Replace(",", ""), Gsm8kAnswers.Normalize(answer));
            Assert.True(Gsm8kAnswers.StrictMatch(answer, answer), answer);
            Assert.True(Gsm8kAnswers.FlexibleMatch(answer, answer), answer);
        }
    }

    [Theory]
    // response, strict-match's extraction, flexible-extract's extraction
    [InlineData("The answer is 18.", "[invalid]", "18.")]
    [InlineData("#### 18\nWait, actually 20", "18", "20")]
    [InlineData("#### $1,000.", "[invalid]", "$1,000.")]
    [InlineData("So 5... done", "[invalid]", "5...")]
    [InlineData("Total: 72.0", "[invalid]", "72.0")]
    [InlineData("The answer is -3.", "[invalid]", "-3.")]
    [InlineData("#### 18.", "18.", "18.")]
    [InlineData("It is $18.00", "[invalid]", "$18.00")]
    [InlineData("no digits", "[invalid]", "[invalid]")]
    [InlineData("She has 7 apples", "[invalid]", "7")]
    public void FiltersExtractAsTheHarnessDoes(string response, string strict, string flexible)
    {
        Assert.Equal(strict, Gsm8kAnswers.Strict(response));
        Assert.Equal(flexible, Gsm8kAnswers.Flexible(response));
    }

    [Theory]
    // response, gold answer, strict-match verdict, flexible-extract verdict
    [InlineData("The answer is 18.", "x\n#### 18", false, true)]
    [InlineData("#### 18\nWait, actually 20", "x\n#### 18", true, false)]
    [InlineData("#### 1,000", "#### 1000", true, true)]
    [InlineData("So 5... done", "#### 5", false, false)]     // "5..." loses one trailing dot only
    [InlineData("Total: 72.0", "#### 72", false, false)]     // strings are compared, not numbers
    [InlineData("The answer is -3.", "#### -3", false, true)]
    [InlineData("It is $18.00", "#### 18", false, false)]
    [InlineData("no digits", "#### 18", false, false)]
    public void StrictAndFlexibleDisagreeWhereTheHarnessDoes(string response, string gold, bool strict, bool flexible)
    {
        Assert.Equal(strict, Gsm8kAnswers.StrictMatch(response, gold));
        Assert.Equal(flexible, Gsm8kAnswers.FlexibleMatch(response, gold));
    }

    [Fact]
    public void NormalizationRemovesCommasDollarsEverythingThroughTheLastMarkerAndOneFinalDot()
    {
        Assert.Equal("1234", Gsm8kAnswers.Normalize("work #### 12 more\n#### $1,234."));
        Assert.Equal("18\n", Gsm8kAnswers.Normalize("18.\n")); // Python's and .NET's $ both match before a final newline
        Assert.Equal("[invalid]", Gsm8kAnswers.Normalize("[INVALID]"));
    }
}

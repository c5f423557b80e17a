using Sift.Eval;

namespace Sift.Tests.Eval;

public class FinalNumberTests
{
    [Theory]
    [InlineData("She sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", 72)]
    [InlineData("Total: $1,234.50\n#### 1,234.5", 1234.5)]
    [InlineData("#### -3", -3)]
    public void ReadsTheReferenceAfterTheLastMarker(string answer, double expected) =>
        Assert.Equal((decimal)expected, FinalNumber.FromReference(answer));

    [Theory]
    [InlineData("The answer is 72.", 72)]
    [InlineData("He pays $1,200 then 3 more, so 1,203.", 1203)]
    [InlineData("2 + 2 = 4", 4)]
    [InlineData("-5 degrees", -5)]
    public void TakesTheLastNumberOfGeneratedText(string text, double expected) =>
        Assert.Equal((decimal)expected, FinalNumber.FromGenerated(text));

    [Fact]
    public void MatchesNumericallyAndFailsWithoutANumber()
    {
        Assert.True(FinalNumber.Matches("so the total is 72.0", "blah\n#### 72"));
        Assert.False(FinalNumber.Matches("so the total is 71", "#### 72"));
        Assert.False(FinalNumber.Matches("I don't know", "#### 72"));
    }

    [Fact]
    public void EveryReferenceOfTheSharedGsm8kTrainSetHasAFinalNumber()
    {
        var lines = File.ReadAllLines(Paths.Asset("data", "gsm8k", "train.jsonl"));
        Assert.Equal(7473, lines.Length);
        foreach (var line in lines)
        {
            var answer = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("answer").GetString()!;
            Assert.NotNull(FinalNumber.FromReference(answer));
        }
    }
}

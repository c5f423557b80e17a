using Sift.Generation;

namespace Sift.Tests.Generation;

public class StopStringFilterTests
{
    [Fact]
    public void EmitsTextBeforeAStopStringSplitAcrossPieces()
    {
        var filter = new StopStringFilter(["\nUser:"]);
        var output = string.Concat(new[] { "Hello", " wor", "ld\nU", "se", "r: more" }.Select(filter.Push));
        Assert.True(filter.Stopped);
        Assert.Equal("Hello world", output + filter.Flush());
    }

    [Fact]
    public void HoldsBackOnlyAPossibleStopPrefixAndReleasesItWhenItIsNotOne()
    {
        var filter = new StopStringFilter(["STOP"]);
        Assert.Equal("abc", filter.Push("abcST"));
        Assert.Equal("STx", filter.Push("x"));
        Assert.Equal("S", filter.Push("S") + filter.Flush());
        Assert.False(filter.Stopped);
    }

    [Fact]
    public void EarliestOfSeveralStopStringsWins()
    {
        var filter = new StopStringFilter(["bb", "a"]);
        Assert.Equal("xx", filter.Push("xxabb"));
        Assert.True(filter.Stopped);
        Assert.Equal("", filter.Push("more"));
    }
}

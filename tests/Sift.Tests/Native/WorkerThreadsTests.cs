using Sift.Native;

namespace Sift.Tests.Native;

public class WorkerThreadsTests
{
    [Theory]
    [InlineData(2, null, 2)]   // no quota: the cores the affinity mask allows
    [InlineData(8, 1.5, 2)]    // a quota of 1.5 CPUs rounds up
    [InlineData(2, 0.5, 1)]
    [InlineData(2, 4.0, 2)]    // a quota above the allowed cores does not add threads
    [InlineData(1, 0.01, 1)]
    [InlineData(16, 3.0, 3)]
    public void AvailableIsTheAffinityCoresCappedByTheQuotaRoundedUp(int affinity, double? quota, int expected)
    {
        Assert.Equal(expected, WorkerThreads.Available(affinity, quota));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("1", 1)]
    [InlineData(" 3 ", 3)]
    [InlineData("auto", null)]
    [InlineData("AUTO", null)]
    public void SiftThreadsOverrides(string? value, int? expected)
    {
        Assert.Equal(expected, WorkerThreads.FromVariable(value));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("two")]
    public void AnUnusableSiftThreadsIsAnErrorNamingTheFix(string value)
    {
        var e = Assert.Throws<SiftException>(() => WorkerThreads.FromVariable(value));
        Assert.Contains($"SIFT_THREADS={value} is not a thread count", e.Message);
        Assert.Contains("unset it", e.Message);
    }

    [Fact]
    public void CountHereIsAtLeastOneAndAtMostTheCoresAllowed()
    {
        if (Environment.GetEnvironmentVariable(WorkerThreads.Variable) != null) return;
        Assert.InRange(WorkerThreads.Count, 1, Environment.ProcessorCount);
    }
}

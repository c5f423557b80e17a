using Sift.Native;
using TorchSharp;

namespace Sift.Tests.Native;

/// <summary>The thread count a training run takes beside neighbours, from scripted CPU readings and a fake clock.</summary>
public class AdaptiveThreadsTests
{
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    [Theory]
    [InlineData(2, 2, 1.98, 2)]  // alone: keep both
    [InlineData(2, 2, 1.70, 1)]  // a neighbour using 0.3 CPU: down (fewer than 2 - 0.25 free)
    [InlineData(2, 2, 0.05, 1)]  // two busy neighbours: never below 1
    [InlineData(1, 2, 1.70, 1)]  // up only when nearly a whole further CPU is free...
    [InlineData(1, 2, 1.92, 2)]  // ...as when the neighbour left
    [InlineData(16, 16, 12.0, 12)]
    [InlineData(4, 16, 15.95, 16)]
    [InlineData(2, 2, 8.0, 2)]   // never above the configured count
    public void NextFollowsTheFreeCpusWithHysteresis(int current, int configured, double free, int expected) =>
        Assert.Equal(expected, AdaptiveThreads.Next(current, configured, free));

    /// <summary>Readings of 2 CPUs, 50 ticks per CPU apart, with the neighbours' busy ticks given per interval.</summary>
    private sealed class Script(params double[] othersPerInterval)
    {
        private int _reads;
        private long _busy, _total;

        public CpuTimes? Read()
        {
            if (_reads > 0)
            {
                _busy += (long)Math.Round(othersPerInterval[Math.Min(_reads - 1, othersPerInterval.Length - 1)] * 50);
                _total += 100;
            }
            _reads++;
            return new CpuTimes(_busy, _total, SelfTicks: 0, Cpus: 2);
        }
    }

    [Fact]
    public void ARunDropsToOneThreadBesideABusyNeighbourAndComesBackWhenItLeaves()
    {
        var time = new ManualClock();
        var script = new Script(1.9, 1.9, 0.0);
        var messages = new List<string>();
        var before = torch.get_num_threads();
        using (var threads = AdaptiveThreads.Start(2, script.Read, time, messages.Add)!)
        {
            threads.Observe(); // under the interval: nothing read
            Assert.Equal(2, threads.Current);
            time.Advance(AdaptiveThreads.Interval);
            threads.Observe();
            Assert.Equal(1, threads.Current);
            Assert.Equal(1, torch.get_num_threads());
            Assert.Equal(1, WorkerThreads.Count);
            time.Advance(AdaptiveThreads.Interval);
            threads.Observe();
            Assert.Equal(1, threads.Current);
            time.Advance(AdaptiveThreads.Interval);
            threads.Observe();
            Assert.Equal(2, threads.Current);
            Assert.Equal(2, torch.get_num_threads());
            time.Advance(AdaptiveThreads.Interval);
            threads.Observe();
            threads.Observe();
        }
        Assert.Equal(2, messages.Count);
        Assert.StartsWith("threads 2 -> 1: other processes kept 1.9 of the 2 CPUs", messages[0]);
        Assert.EndsWith("(SIFT_THREADS=auto)", messages[0]);
        Assert.StartsWith("threads 1 -> 2: other processes kept 0.0", messages[1]);
        torch.set_num_threads(before);
    }

    [Fact]
    public void DisposeGivesBackTheConfiguredCount()
    {
        var time = new ManualClock();
        var before = torch.get_num_threads();
        var threads = AdaptiveThreads.Start(2, new Script(2.0).Read, time, _ => { })!;
        time.Advance(AdaptiveThreads.Interval);
        threads.Observe();
        Assert.Equal(1, torch.get_num_threads());
        threads.Dispose();
        Assert.Equal(2, torch.get_num_threads());
        Assert.Equal(WorkerThreads.Configured, WorkerThreads.Count);
        torch.set_num_threads(before);
    }

    [Fact]
    public void OnlySiftThreadsAutoAdapts()
    {
        var before = Environment.GetEnvironmentVariable(WorkerThreads.Variable);
        try
        {
            Environment.SetEnvironmentVariable(WorkerThreads.Variable, null);
            Assert.Null(AdaptiveThreads.Start(_ => { }));
            Environment.SetEnvironmentVariable(WorkerThreads.Variable, "2");
            Assert.Null(AdaptiveThreads.Start(_ => { }));
            Environment.SetEnvironmentVariable(WorkerThreads.Variable, "auto");
            Assert.Equal(WorkerThreads.Available(Environment.ProcessorCount, CgroupCpuLimit.Read()), WorkerThreads.Configured);
            using var threads = AdaptiveThreads.Start(_ => { });
            Assert.Equal(OperatingSystem.IsLinux() && WorkerThreads.Configured > 1, threads != null);
        }
        finally { Environment.SetEnvironmentVariable(WorkerThreads.Variable, before); }
    }

    [Fact]
    public void NoReadingMeansNoAdapting() =>
        Assert.Null(AdaptiveThreads.Start(2, () => null, new ManualClock(), _ => { }));
}

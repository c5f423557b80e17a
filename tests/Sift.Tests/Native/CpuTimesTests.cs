using Sift.Native;

namespace Sift.Tests.Native;

/// <summary>/proc parsing and the neighbours' CPU use, on hand-written /proc text with hand-computed answers.</summary>
public class CpuTimesTests
{
    private static readonly string[] Stat =
    [
        "cpu  500 10 200 9000 40 0 5 0 0 0",
        "cpu0 100 0 50 1000 10 0 0 0 0 0",
        "cpu1 200 10 100 2000 20 3 2 5 7 0",
        "cpu2 200 0 50 6000 10 0 3 0 0 0",
        "intr 12345 0 0",
        "ctxt 999",
    ];

    [Fact]
    public void SumsOnlyTheAllowedCpus()
    {
        var t = CpuTimes.FromStat(Stat, new HashSet<int> { 0, 1 }, selfTicks: 42)!.Value;
        // busy = user + nice + system + irq + softirq + steal: cpu0 150, cpu1 200+10+100+3+2+5 = 320
        Assert.Equal(470, t.BusyTicks);
        // total = the first eight fields (guest is inside user): cpu0 1160, cpu1 2340
        Assert.Equal(3500, t.TotalTicks);
        Assert.Equal(2, t.Cpus);
        Assert.Equal(42, t.SelfTicks);
    }

    [Fact]
    public void AMissingAllowedCpuOrAShortLineReadsAsNothing()
    {
        Assert.Null(CpuTimes.FromStat(Stat, new HashSet<int> { 0, 7 }, 0));
        Assert.Null(CpuTimes.FromStat(["cpu0 1 2 3"], new HashSet<int> { 0 }, 0));
    }

    [Theory]
    [InlineData("Cpus_allowed_list:\t0-1", new[] { 0, 1 })]
    [InlineData("Cpus_allowed_list:\t0-3,8,10-11", new[] { 0, 1, 2, 3, 8, 10, 11 })]
    [InlineData("Cpus_allowed_list:\t5", new[] { 5 })]
    public void ReadsTheAffinityList(string line, int[] expected)
    {
        var cpus = CpuTimes.AllowedCpus(["Name:\tsift", "Cpus_allowed:\tff", line, "Mems_allowed_list:\t0"]);
        Assert.Equal(expected, cpus!.Order());
    }

    [Theory]
    [InlineData("Cpus_allowed_list:\t")]
    [InlineData("Cpus_allowed_list:\t0-x")]
    [InlineData("Name:\tsift")]
    public void AnUnreadableAffinityListIsNull(string line) => Assert.Null(CpuTimes.AllowedCpus([line]));

    [Fact]
    public void SelfTicksAreUtimePlusStimeEvenWithParenthesesInTheName()
    {
        // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        var stat = "4242 (we (ird) name) R 1 4242 4242 0 -1 4194560 100 0 0 0 731 269 0 0 20 0 9 0 100 0 0";
        Assert.Equal(1000, CpuTimes.ProcessTicks(stat));
        Assert.Null(CpuTimes.ProcessTicks("4242 (x) R 1"));
    }

    [Fact]
    public void OthersAreTheBusyTicksThisProcessDidNotUseOverTheTicksPerCpu()
    {
        // 2 CPUs, 100 ticks each elapsed (200 total); 150 busy ticks of which 60 were this process's: others 90/100 = 0.9 CPUs.
        var before = new CpuTimes(BusyTicks: 1000, TotalTicks: 5000, SelfTicks: 300, Cpus: 2);
        var after = new CpuTimes(BusyTicks: 1150, TotalTicks: 5200, SelfTicks: 360, Cpus: 2);
        Assert.Equal(0.9, CpuTimes.OthersBusyCpus(before, after), 12);
        // No time passed: nothing is known, so nothing is busy.
        Assert.Equal(0, CpuTimes.OthersBusyCpus(after, after));
    }

    [Fact]
    public void ThisMachinesProcReadsAndTwoReadingsGiveAPlausibleShare()
    {
        if (!OperatingSystem.IsLinux()) return;
        var a = CpuTimes.Read();
        Assert.NotNull(a);
        Assert.Equal(CpuTimes.AllowedCpus(File.ReadAllLines("/proc/self/status"))!.Count, a.Value.Cpus);
        Thread.Sleep(50);
        var b = CpuTimes.Read()!.Value;
        Assert.InRange(CpuTimes.OthersBusyCpus(a.Value, b), 0, b.Cpus);
    }
}

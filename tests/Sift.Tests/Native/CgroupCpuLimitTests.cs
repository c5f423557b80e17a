using Sift.Native;

namespace Sift.Tests.Native;

/// <summary>The cgroup CPU quota read from fake /proc/self/cgroup, /proc/self/mountinfo and cgroup folders.</summary>
public class CgroupCpuLimitTests
{
    /// <summary>A fake system: the two /proc files and a root under which mount points and cgroup files live.</summary>
    private sealed class FakeSystem
    {
        public readonly string Root = Paths.NewTempDir();
        public string Cgroup => Path.Combine(Root, "proc-self-cgroup");
        public string MountInfo => Path.Combine(Root, "proc-self-mountinfo");

        public FakeSystem(string[] memberships, params (string MountRoot, string MountPoint, string FsType, string SuperOptions)[] mounts)
        {
            File.WriteAllLines(Cgroup, memberships);
            File.WriteAllLines(MountInfo, mounts.Select((m, i) =>
                $"{30 + i} 25 0:{26 + i} {m.MountRoot} {Dir(m.MountPoint)} rw,nosuid,nodev,noexec,relatime shared:{i} - {m.FsType} {m.FsType} {m.SuperOptions}"));
        }

        public string Dir(string path) => Path.Join(Root, path);

        public void Write(string path, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Dir(path))!);
            File.WriteAllText(Dir(path), text + "\n");
        }

        public double? Read() => CgroupCpuLimit.Read(Cgroup, MountInfo);
    }

    [Fact]
    public void CgroupV2InsideAContainerNamespaceReadsCpuMaxAtTheMountPoint()
    {
        var fake = new FakeSystem(["0::/"], ("/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate"));
        fake.Write("/sys/fs/cgroup/cpu.max", "150000 100000");
        Assert.Equal(1.5, fake.Read());
    }

    [Fact]
    public void CgroupV2WithoutALimitIsNone()
    {
        var fake = new FakeSystem(["0::/"], ("/", "/sys/fs/cgroup", "cgroup2", "rw"));
        fake.Write("/sys/fs/cgroup/cpu.max", "max 100000");
        Assert.Null(fake.Read());
    }

    [Fact]
    public void CgroupV2TakesTheTightestQuotaFromTheProcessCgroupUpToTheMountPoint()
    {
        // A Kubernetes pod's quota on the parent, the container's own looser one, the root unlimited.
        var fake = new FakeSystem(["0::/kubepods/pod1/c1"], ("/", "/sys/fs/cgroup", "cgroup2", "rw"));
        fake.Write("/sys/fs/cgroup/cpu.max", "max 100000");
        fake.Write("/sys/fs/cgroup/kubepods/pod1/cpu.max", "50000 100000");
        fake.Write("/sys/fs/cgroup/kubepods/pod1/c1/cpu.max", "200000 100000");
        Assert.Equal(0.5, fake.Read());
    }

    [Fact]
    public void CgroupV1OutsideANamespaceFindsTheCgroupBelowTheMountsRoot()
    {
        // Docker without a cgroup namespace: the hierarchy's root is the container's cgroup, mounted at the usual place.
        var fake = new FakeSystem(["12:memory:/docker/abc", "4:cpu,cpuacct:/docker/abc", "0::/"],
                                  ("/docker/abc", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpu,cpuacct"),
                                  ("/docker/abc", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"));
        fake.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "250000");
        fake.Write("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000");
        Assert.Equal(2.5, fake.Read());
    }

    [Fact]
    public void CgroupV1NestedCgroupAndUnlimitedQuota()
    {
        var fake = new FakeSystem(["1:cpu:/slurm/job7", "2:cpuacct:/"], ("/", "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"));
        fake.Write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1");
        fake.Write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000");
        fake.Write("/sys/fs/cgroup/cpu/slurm/job7/cpu.cfs_quota_us", "300000");
        fake.Write("/sys/fs/cgroup/cpu/slurm/job7/cpu.cfs_period_us", "100000");
        Assert.Equal(3.0, fake.Read());
        fake.Write("/sys/fs/cgroup/cpu/slurm/job7/cpu.cfs_quota_us", "-1");
        Assert.Null(fake.Read());
    }

    [Fact]
    public void HybridHierarchiesCountTheV1CpuControllerAndAV2TreeWithoutIt()
    {
        // This development machine's layout: v1 controllers, plus a v2 tree holding no cpu controller.
        var fake = new FakeSystem(["1:cpu:/", "2:cpuacct:/", "0::/"],
                                  ("/", "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"),
                                  ("/", "/sys/fs/cgroup/cpuacct", "cgroup", "rw,cpuacct"),
                                  ("/", "/sys/fs/cgroup/unified", "cgroup2", "rw"));
        fake.Write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "50000");
        fake.Write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000");
        fake.Write("/sys/fs/cgroup/cpuacct/cpu.cfs_quota_us", "1"); // not the cpu controller's hierarchy: ignored
        fake.Write("/sys/fs/cgroup/cpuacct/cpu.cfs_period_us", "100000");
        fake.Write("/sys/fs/cgroup/unified/cgroup.controllers", "hugetlb");
        Assert.Equal(0.5, fake.Read());
    }

    [Fact]
    public void EscapedMountPointsAreUnescaped()
    {
        var fake = new FakeSystem(["0::/"], ("/", @"/odd\040mount", "cgroup2", "rw"));
        fake.Write("/odd mount/cpu.max", "100000 100000");
        Assert.Equal(1.0, fake.Read());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("0 100000")]
    [InlineData("100000 0")]
    [InlineData("")]
    public void MalformedOrZeroValuesReadAsNoLimit(string cpuMax)
    {
        var fake = new FakeSystem(["0::/"], ("/", "/sys/fs/cgroup", "cgroup2", "rw"));
        fake.Write("/sys/fs/cgroup/cpu.max", cpuMax);
        Assert.Null(fake.Read());
    }

    [Fact]
    public void MissingFilesReadAsNoLimit()
    {
        var dir = Paths.NewTempDir();
        Assert.Null(CgroupCpuLimit.Read(Path.Combine(dir, "no-cgroup"), Path.Combine(dir, "no-mountinfo")));
        var fake = new FakeSystem(["0::/"], ("/", "/sys/fs/cgroup", "cgroup2", "rw")); // mounted, but no cpu.max (no cpu controller)
        Assert.Null(fake.Read());
    }

    [Fact]
    public void ThisMachinesFilesReadWithoutError()
    {
        var limit = CgroupCpuLimit.Read();
        Assert.True(limit is null or > 0);
    }
}

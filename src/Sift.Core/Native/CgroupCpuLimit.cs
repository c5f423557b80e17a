using System.Globalization;

namespace Sift.Native;

/// <summary>
/// The CPU time a Linux cgroup grants this process, in CPUs (1.5 = one and a half cores' worth per
/// scheduling period): what a Kubernetes CPU limit, `docker --cpus` or a systemd CPUQuota set. cgroup
/// v2 keeps it in cpu.max ("QUOTA PERIOD", or "max PERIOD" when unlimited), v1 in cpu.cfs_quota_us
/// (-1 when unlimited) over cpu.cfs_period_us. The process's cgroup comes from /proc/self/cgroup and
/// the hierarchy's mount point from /proc/self/mountinfo; every level from that cgroup up to the mount
/// point counts, since a parent's quota (a Kubernetes pod's) caps its children. Slurm confines a job
/// with an affinity mask (cpuset) instead, which <see cref="Environment.ProcessorCount"/> already sees.
/// Anything unreadable or malformed reads as no limit: a thread count is not worth failing a run over.
/// </summary>
public static class CgroupCpuLimit
{
    /// <summary>The tightest quota on this process's cgroups, in CPUs; null when none is set or none can be read.</summary>
    public static double? Read(string procSelfCgroup = "/proc/self/cgroup", string procSelfMountInfo = "/proc/self/mountinfo")
    {
        try
        {
            if (!File.Exists(procSelfCgroup) || !File.Exists(procSelfMountInfo)) return null;
            var memberships = File.ReadAllLines(procSelfCgroup);
            var mounts = File.ReadAllLines(procSelfMountInfo);
            double? limit = null;
            foreach (var dir in CpuControllerDirs(memberships, mounts))
                for (var level = dir.Cgroup; level != null && level.StartsWith(dir.MountPoint, StringComparison.Ordinal); level = Parent(level, dir.MountPoint))
                    if (QuotaIn(level) is { } q) limit = limit is { } l ? Math.Min(l, q) : q;
            return limit;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The folders of this process's cgroup in each mounted hierarchy that has the cpu controller (v2, and v1's "cpu" or "cpu,cpuacct").</summary>
    private static IEnumerable<(string Cgroup, string MountPoint)> CpuControllerDirs(string[] memberships, string[] mounts)
    {
        foreach (var line in mounts)
        {
            // ID PARENT MAJOR:MINOR ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
            var halves = line.Split(" - ", 2);
            if (halves.Length != 2) continue;
            var left = halves[0].Split(' ');
            var right = halves[1].Split(' ');
            if (left.Length < 5 || right.Length < 3) continue;
            var (root, mountPoint, fsType) = (Unescape(left[3]), Unescape(left[4]), right[0]);
            string? path = fsType switch
            {
                "cgroup2" => MembershipPath(memberships, controllers => controllers == ""),
                "cgroup" when right[2].Split(',').Contains("cpu") => MembershipPath(memberships, controllers => controllers.Split(',').Contains("cpu")),
                _ => null,
            };
            if (path == null) continue;
            // Inside a cgroup namespace the path is relative to the mount's root already ("/"); outside one it starts with it.
            var relative = path.StartsWith(root, StringComparison.Ordinal) ? path[root.Length..] : "";
            yield return (Path.Join(mountPoint, relative.TrimStart('/')).TrimEnd('/'), mountPoint.TrimEnd('/'));
        }
    }

    /// <summary>The cgroup path on the /proc/self/cgroup line "ID:CONTROLLERS:PATH" whose controllers match.</summary>
    private static string? MembershipPath(string[] memberships, Func<string, bool> controllersMatch)
    {
        foreach (var line in memberships)
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && controllersMatch(parts[1])) return parts[2];
        }
        return null;
    }

    private static string? Parent(string dir, string mountPoint) =>
        dir.Length <= mountPoint.Length ? null : Path.GetDirectoryName(dir);

    private static double? QuotaIn(string dir)
    {
        var cpuMax = Path.Combine(dir, "cpu.max");
        if (File.Exists(cpuMax))
        {
            var fields = File.ReadAllText(cpuMax).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return fields.Length == 2 ? Ratio(fields[0], fields[1]) : null;
        }
        var (quota, period) = (Path.Combine(dir, "cpu.cfs_quota_us"), Path.Combine(dir, "cpu.cfs_period_us"));
        return File.Exists(quota) && File.Exists(period) ? Ratio(File.ReadAllText(quota).Trim(), File.ReadAllText(period).Trim()) : null;
    }

    /// <summary>QUOTA/PERIOD in CPUs; null for "max", -1 or anything not a positive number.</summary>
    private static double? Ratio(string quota, string period) =>
        long.TryParse(quota, NumberStyles.None, CultureInfo.InvariantCulture, out var q) && q > 0 &&
        long.TryParse(period, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0
            ? (double)q / p
            : null;

    /// <summary>mountinfo writes space, tab, newline and backslash in paths as octal escapes (\040).</summary>
    private static string Unescape(string field) =>
        System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}

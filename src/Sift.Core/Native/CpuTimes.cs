using System.Globalization;

namespace Sift.Native;

/// <summary>
/// Busy time of the CPUs this process may run on, and of this process itself, from Linux's /proc, in
/// clock ticks (USER_HZ, the same unit in /proc/stat and /proc/self/stat). Two snapshots tell how many
/// of those CPUs other processes kept busy in between (<see cref="OthersBusyCpus"/>).
/// </summary>
public readonly record struct CpuTimes(long BusyTicks, long TotalTicks, long SelfTicks, int Cpus)
{
    /// <summary>A snapshot now, or null where /proc cannot be read (not Linux, a sandbox without /proc).</summary>
    public static CpuTimes? Read(string procStat = "/proc/stat", string procSelfStat = "/proc/self/stat", string procSelfStatus = "/proc/self/status")
    {
        try
        {
            if (!File.Exists(procStat) || !File.Exists(procSelfStat) || !File.Exists(procSelfStatus)) return null;
            var allowed = AllowedCpus(File.ReadAllLines(procSelfStatus));
            long? self = ProcessTicks(File.ReadAllText(procSelfStat));
            return allowed != null && self != null ? FromStat(File.ReadAllLines(procStat), allowed, self.Value) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// How many CPUs' worth of time other processes used on these CPUs between two snapshots:
    /// (busy − this process's own) / (elapsed ticks per CPU). Busy is user, nice, system, irq, softirq
    /// and steal (a hypervisor giving the CPU to another guest); idle and iowait are free.
    /// </summary>
    public static double OthersBusyCpus(CpuTimes before, CpuTimes after)
    {
        long total = after.TotalTicks - before.TotalTicks;
        if (total <= 0 || after.Cpus <= 0) return 0;
        double perCpu = (double)total / after.Cpus;
        double others = (after.BusyTicks - before.BusyTicks) - (after.SelfTicks - before.SelfTicks);
        return Math.Clamp(others / perCpu, 0, after.Cpus);
    }

    /// <summary>Sums the "cpuN" lines of /proc/stat for the allowed CPUs; null when one is missing.</summary>
    public static CpuTimes? FromStat(IEnumerable<string> statLines, IReadOnlySet<int> allowed, long selfTicks)
    {
        long busy = 0, total = 0;
        int seen = 0;
        foreach (var line in statLines)
        {
            if (!line.StartsWith("cpu", StringComparison.Ordinal) || line.Length < 4 || !char.IsAsciiDigit(line[3])) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!int.TryParse(f[0].AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var cpu) || !allowed.Contains(cpu)) continue;
            if (f.Length < 9) return null;
            // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already in user and nice.
            var t = new long[8];
            for (int i = 0; i < 8; i++)
                if (!long.TryParse(f[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out t[i])) return null;
            busy += t[0] + t[1] + t[2] + t[5] + t[6] + t[7];
            total += t.Sum();
            seen++;
        }
        return seen == allowed.Count ? new CpuTimes(busy, total, selfTicks, seen) : null;
    }

    /// <summary>The CPUs on /proc/self/status's "Cpus_allowed_list:" line ("0-3,8,10-11"): the affinity mask.</summary>
    public static IReadOnlySet<int>? AllowedCpus(IEnumerable<string> statusLines)
    {
        const string Key = "Cpus_allowed_list:";
        var line = statusLines.FirstOrDefault(l => l.StartsWith(Key, StringComparison.Ordinal));
        if (line == null) return null;
        var cpus = new HashSet<int>();
        foreach (var part in line[Key.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-');
            if (ends.Length > 2 || !int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)) return null;
            int last = first;
            if (ends.Length == 2 && !int.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out last)) return null;
            for (int c = first; c <= last; c++) cpus.Add(c);
        }
        return cpus.Count > 0 ? cpus : null;
    }

    /// <summary>utime + stime of /proc/self/stat (fields 14 and 15; the command name in field 2 may hold spaces and parentheses).</summary>
    public static long? ProcessTicks(string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var f = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // f[0] is field 3 (state), so field N is f[N - 3].
        return f.Length > 12 &&
               long.TryParse(f[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user) &&
               long.TryParse(f[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? user + system
            : null;
    }
}

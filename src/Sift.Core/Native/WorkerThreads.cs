using System.Globalization;

namespace Sift.Native;

/// <summary>
/// How many threads Sift's CPU work may use (libtorch's pool and Sift's own parallel loops):
/// SIFT_THREADS when set, else the CPUs this process may actually use: the cores its affinity mask
/// allows (taskset, a Slurm cpuset; <see cref="Environment.ProcessorCount"/>), capped by a cgroup CPU
/// quota rounded up (a Kubernetes or Docker CPU limit; <see cref="CgroupCpuLimit"/>). .NET's
/// ProcessorCount applies the quota too, but DOTNET_PROCESSOR_COUNT overrides it, so the quota is read here as well.
/// SIFT_THREADS=auto starts from the same count and lets training follow the neighbours' load
/// (<see cref="AdaptiveThreads"/>).
/// </summary>
public static class WorkerThreads
{
    public const string Variable = "SIFT_THREADS";
    public const string Auto = "auto";

    private static readonly Lazy<double?> Quota = new(() => CgroupCpuLimit.Read());
    private static volatile int s_adapted;

    /// <summary>The count to use now.</summary>
    public static int Count => s_adapted > 0 ? s_adapted : Configured;

    /// <summary>SIFT_THREADS, else the CPUs available to this process.</summary>
    public static int Configured => FromVariable(Environment.GetEnvironmentVariable(Variable)) ?? Available(Environment.ProcessorCount, Quota.Value);

    /// <summary>SIFT_THREADS=auto: training may lower the count while other processes keep the CPUs busy.</summary>
    public static bool Adaptive => IsAuto(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Set by <see cref="AdaptiveThreads"/> while it holds the count below <see cref="Configured"/>; null otherwise.</summary>
    internal static int? Adapted
    {
        set => s_adapted = value ?? 0;
    }

    /// <summary>The cores the affinity mask allows, capped by the quota rounded up; at least 1.</summary>
    public static int Available(int affinityCores, double? quotaCpus) =>
        Math.Max(1, quotaCpus is { } q ? Math.Min(affinityCores, (int)Math.Ceiling(q)) : affinityCores);

    /// <summary>SIFT_THREADS's count: null when unset, empty or auto; a positive whole number; anything else a <see cref="SiftException"/>.</summary>
    public static int? FromVariable(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || IsAuto(value)) return null;
        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) return n;
        throw new SiftException($"{Variable}={value} is not a thread count; set it to a whole number of threads of at least 1 (e.g. {Variable}=1 beside other jobs), " +
                                $"to {Auto} (training follows other processes' load), or unset it to use every CPU this process may run on");
    }

    private static bool IsAuto(string? value) => string.Equals(value?.Trim(), Auto, StringComparison.OrdinalIgnoreCase);
}

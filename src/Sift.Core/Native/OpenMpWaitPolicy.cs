using System.Runtime.InteropServices;

namespace Sift.Native;

/// <summary>
/// How libtorch's threads wait. Its CPU build runs parallel regions on GNU OpenMP (the libgomp it
/// ships). With OMP_WAIT_POLICY and GOMP_SPINCOUNT unset, a libgomp thread that waits (for the next
/// region, or at a region's closing barrier for its partner) spins 300,000 iterations, a few
/// milliseconds, before it sleeps. A small model runs hundreds of short regions per step, each needing
/// all its threads on a core at once; beside other busy processes the spinning burns the time slices
/// that the partner thread and the neighbours need, and training collapsed 12–40× (docs/RESULTS.md,
/// "Speed"). Sleeping at once (OMP_WAIT_POLICY=PASSIVE) ends the collapse but pays a wake-up per
/// region: the demo took 170 s alone instead of 110. Spinning 1,000 iterations (microseconds) before
/// sleeping keeps both: 94 s alone, and beside busy neighbours as fast as passive. So Sift sets
/// GOMP_SPINCOUNT=1000 unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT. libgomp reads its
/// environment once, as it loads with libtorch, so this runs before the first TorchSharp call and sets
/// the C environment (setenv), which .NET's Environment does not; child processes do not inherit it.
/// </summary>
public static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";
    public const string SpinCountVariable = "GOMP_SPINCOUNT";
    public const string SpinCount = "1000";

    /// <summary>True when the user set either variable: their choice stands.</summary>
    public static bool ChosenByUser =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SpinCountVariable));

    /// <summary>Sets GOMP_SPINCOUNT=<see cref="SpinCount"/> in this process's C environment unless the user chose how OpenMP waits.</summary>
    internal static void ShortSpinUnlessChosen()
    {
        if (!OperatingSystem.IsLinux() || ChosenByUser) return;
        if (setenv(SpinCountVariable, SpinCount, 0) != 0)
            throw new SiftException($"could not set {SpinCountVariable}={SpinCount} (errno {Marshal.GetLastPInvokeError()}); set it in the environment before running Sift");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);
}

using System.Runtime.InteropServices;

namespace Sift.Native;

/// <summary>
/// libtorch's CPU build runs its parallel regions on GNU OpenMP (the libgomp it ships). With
/// OMP_WAIT_POLICY unset, libgomp's threads spin for about 300,000 iterations (a few milliseconds)
/// at each barrier and while waiting for the next region before they sleep. Alone on its cores that
/// saves a wake-up per region; beside other busy processes it is a collapse: a small model runs
/// hundreds of short regions per step, every one needs all of its threads on a core at once, and
/// the spinning threads burn the time slices their partners and the neighbours need (measured:
/// 2.3–3.4k tok/s instead of 20–31k with the passive policy, docs/RESULTS.md). So Sift asks for the
/// passive policy (sleep at once) unless the user chose OMP_WAIT_POLICY or GOMP_SPINCOUNT. libgomp
/// reads its environment once, when it loads with libtorch, so this must run before the first
/// TorchSharp call, and it sets the C environment (setenv), which .NET's Environment does not.
/// </summary>
public static class OpenMpWaitPolicy
{
    public const string Variable = "OMP_WAIT_POLICY";
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>True when the user set either variable: their choice stands.</summary>
    public static bool ChosenByUser =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(SpinCountVariable));

    /// <summary>Sets OMP_WAIT_POLICY=PASSIVE in this process's C environment unless the user chose a policy; child processes do not inherit it.</summary>
    internal static void SetPassiveUnlessChosen()
    {
        if (!OperatingSystem.IsLinux() || ChosenByUser) return;
        if (setenv(Variable, "PASSIVE", 0) != 0)
            throw new SiftException($"could not set {Variable}=PASSIVE (errno {Marshal.GetLastPInvokeError()}); set {Variable}=PASSIVE in the environment before running Sift");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);
}

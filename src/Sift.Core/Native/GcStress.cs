namespace Sift.Native;

/// <summary>
/// SIFT_GC_STRESS=1 starts a thread that collects garbage and runs finalizers without pause. A
/// TorchSharp object (tensor or scalar) whose last .NET reference is gone while libtorch still
/// reads it is then freed within microseconds instead of once in many runs, so lifetime bugs
/// crash at once. For the stress harness (scripts/stress.sh); it slows everything down.
/// </summary>
public static class GcStress
{
    public const string Variable = "SIFT_GC_STRESS";

    public static bool Requested => Environment.GetEnvironmentVariable(Variable) is "1" or "true";

    internal static void StartIfRequested()
    {
        if (!Requested) return;
        var thread = new Thread(() =>
        {
            while (true)
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true, Name = "sift-gc-stress" };
        thread.Start();
    }
}

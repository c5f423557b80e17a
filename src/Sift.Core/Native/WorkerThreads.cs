namespace Sift.Native;

/// <summary>How many threads Sift's CPU work may use: SIFT_THREADS when set, else the cores this process may run on.</summary>
public static class WorkerThreads
{
    public const string Variable = "SIFT_THREADS";

    public static int Count =>
        int.TryParse(Environment.GetEnvironmentVariable(Variable), out var n) && n > 0 ? n : Environment.ProcessorCount;
}

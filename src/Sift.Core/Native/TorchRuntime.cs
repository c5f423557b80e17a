using System.Runtime.InteropServices;
using TorchSharp;

namespace Sift.Native;

/// <summary>
/// The one place that prepares TorchSharp: the native-library fix, thread count and seeding.
/// Call <see cref="Initialize"/> before the first TorchSharp call (the CLI's Main and the test
/// assembly's module initializer do).
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _initialized;

    public static void Initialize()
    {
        lock (Gate)
        {
            if (_initialized) return;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                var so = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
                if (!File.Exists(so)) so = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
                if (File.Exists(so)) GlibcxxVersionFix.Apply(so);
            }
            torch.set_num_threads(WorkerThreads.Count);
            GcStress.StartIfRequested();
            _initialized = true;
        }
    }

    /// <summary>Seeds torch's global generator; every other random source in Sift derives from an explicit seed.</summary>
    public static void Seed(long seed)
    {
        Initialize();
        torch.manual_seed(seed);
    }
}

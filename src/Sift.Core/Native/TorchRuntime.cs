using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using TorchSharp;

namespace Sift.Native;

/// <summary>
/// The one place that prepares TorchSharp: the native-library fix, how OpenMP threads wait and the thread count.
/// Call <see cref="Initialize"/> before the first TorchSharp call (the CLI's commands and the test
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
            OpenMpWaitPolicy.ShortSpinUnlessChosen(); // before libtorch (and with it libgomp) loads
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && LibTorchSharpLocation.Installed() is { } so)
            {
                var load = LibTorchSharpLocation.Prepare(so, LibTorchSharpLocation.CacheRoot());
                if (load != so) LoadLibTorchSharpFrom(load);
            }
            torch.set_num_threads(WorkerThreads.Count);
            GcStress.StartIfRequested();
            _initialized = true;
        }
    }

    /// <summary>
    /// Makes TorchSharp, and Sift's own calls into the same library (<see cref="TensorMemory"/>), use the
    /// library at <paramref name="path"/> rather than the installed one. TorchSharp loads "LibTorchSharp"
    /// twice over: by NativeLibrary.TryLoad(name, assembly), which falls back to the ResolvingUnmanagedDll
    /// event once probing the install folder fails, and by DllImport, which asks the assembly's resolver first.
    /// </summary>
    private static void LoadLibTorchSharpFrom(string path)
    {
        var handle = NativeLibrary.Load(path);
        Assembly[] users = [typeof(torch).Assembly, typeof(TorchRuntime).Assembly];
        foreach (var assembly in users)
            NativeLibrary.SetDllImportResolver(assembly, (name, _, _) => name == "LibTorchSharp" ? handle : IntPtr.Zero);
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += (assembly, name) => users.Contains(assembly) && name == "LibTorchSharp" ? handle : IntPtr.Zero;
    }
}

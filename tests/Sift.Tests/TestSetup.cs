using System.Diagnostics;
using System.Runtime.CompilerServices;
using Sift.Native;

namespace Sift.Tests;

internal static class TestSetup
{
    [ModuleInitializer]
    internal static void Init()
    {
        TorchRuntime.Initialize();
        DeleteTempRootsOfEndedRuns();
    }

    /// <summary>
    /// The test host ends without running exit handlers, so each run leaves its temp folder; the next run deletes
    /// the folders of runs that have ended (one run's files at most stay behind).
    /// </summary>
    private static void DeleteTempRootsOfEndedRuns()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Paths.TempRootPrefix + "*"))
            if (int.TryParse(Path.GetFileName(dir)[Paths.TempRootPrefix.Length..], out int pid) && !IsRunning(pid))
                DeleteQuietly(dir);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void DeleteQuietly(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

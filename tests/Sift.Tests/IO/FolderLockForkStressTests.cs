using System.Diagnostics;
using Sift.IO;

namespace Sift.Tests.IO;

/// <summary>
/// A lock released by this process must be free at once even while other threads start processes:
/// between fork and exec a child shares this process's open lock file, and flock's lock lives until
/// the last shared descriptor closes.
/// </summary>
public class FolderLockForkStressTests
{
    [Fact]
    public void ALockReleasedWhileOtherThreadsStartProcessesCanBeTakenAgainAtOnce()
    {
        if (!OperatingSystem.IsLinux()) return;
        var dir = Paths.NewTempDir();
        using var stop = new CancellationTokenSource();
        var spawners = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
                using (var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!) p.WaitForExit();
        })).ToArray();
        foreach (var t in spawners) t.Start();
        var failures = new List<string>();
        try
        {
            for (int i = 0; i < 3000 && failures.Count == 0; i++)
            {
                try { FolderLock.Acquire(dir).Dispose(); }
                catch (SiftException e) { failures.Add($"cycle {i}: {e.Message}"); }
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var t in spawners) t.Join();
        }
        Assert.Empty(failures);
    }
}

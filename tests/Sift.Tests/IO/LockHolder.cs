using System.Diagnostics;

namespace Sift.Tests.IO;

/// <summary>
/// A separate process holding flock(2) on a lock file, as a sift process does: util-linux `flock`
/// through a shell that writes its PID and a start time into the file, then becomes `sleep`.
/// </summary>
public sealed class LockHolder : IDisposable
{
    public Process Process { get; }

    public LockHolder(string lockPath)
    {
        var script = $"exec 9>>'{lockPath}' && flock -n 9 && printf '%s\\n%s\\n' $$ 'test start' > '{lockPath}' && echo locked && exec sleep 120";
        Process = Process.Start(new ProcessStartInfo("sh", ["-c", script]) { RedirectStandardOutput = true })!;
        var line = Process.StandardOutput.ReadLine();
        if (line != "locked") throw new InvalidOperationException($"the helper could not lock {lockPath}");
    }

    public void Kill()
    {
        Process.Kill(); // SIGKILL: the holder gets no chance to unlock
        Process.WaitForExit();
    }

    public void Dispose()
    {
        if (!Process.HasExited) Kill();
        Process.Dispose();
    }
}

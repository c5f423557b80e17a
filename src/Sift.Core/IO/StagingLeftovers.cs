using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Sift.IO;

/// <summary>
/// Removes what a killed Sift process left of its atomic writes in one folder: the staging folders
/// and files of <see cref="AtomicFolder"/>, <see cref="AtomicFile"/> and the checkpoint store, all
/// named "NAME.PID.GUID.tmp" (AtomicFolder's of earlier versions "NAME.GUID.tmp"). Nothing of
/// another shape is touched, nor staging whose process is still running (another Sift may be
/// writing there), nor this process's own.
/// </summary>
public static partial class StagingLeftovers
{
    [GeneratedRegex(@"^.+?\.(?:(?<pid>[0-9]+)\.)?[0-9a-f]{32}\.tmp$")]
    private static partial Regex StagingName();

    /// <summary>Deletes the leftovers directly in <paramref name="dir"/>; returns their names.</summary>
    public static IReadOnlyList<string> Remove(string dir)
    {
        if (!Directory.Exists(dir)) return [];
        var removed = new List<string>();
        foreach (var path in Directory.EnumerateFileSystemEntries(dir))
        {
            var name = Path.GetFileName(path);
            var match = StagingName().Match(name);
            if (!match.Success) continue;
            if (match.Groups["pid"].Success && (!int.TryParse(match.Groups["pid"].ValueSpan, out var pid) || IsRunning(pid))) continue;
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                else File.Delete(path);
                removed.Add(name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}

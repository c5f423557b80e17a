namespace Sift.IO;

/// <summary>
/// Writes a folder completely under a temporary name beside it, then swaps it in, so a failure
/// part-way leaves no half-written folder under the real name (the temporary one is removed; one
/// left by a killed process is found by its name, NAME.PID.GUID.tmp, by <see cref="StagingLeftovers"/>).
/// </summary>
public static class AtomicFolder
{
    public static void Replace(string final, Action<string> write)
    {
        var temp = final + $".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(temp);
            write(temp);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }
}

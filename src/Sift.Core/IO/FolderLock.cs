using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Sift.IO;

/// <summary>
/// An exclusive lock on an output (a folder, or a file stem) held for as long as this object lives,
/// so a second sift process is refused at once instead of interleaving its writes with ours.
/// It is flock(2) on a lock file: the kernel drops it when the process dies, even by kill -9, so a
/// stale lock file never blocks. The holder's PID and start time are written into the file for the
/// refusal message. The file itself is left in place: deleting it would let two processes lock
/// different inodes under one name.
/// </summary>
public sealed class FolderLock : IDisposable
{
    public const string FileName = ".sift.lock";

    /// <summary>Whether <paramref name="path"/> names a lock file (FOLDER/.sift.lock or STEM.sift.lock): state, not content.</summary>
    public static bool IsLockFile(string path) => Path.GetFileName(path).EndsWith(FileName, StringComparison.Ordinal);

    private const int LockEx = 2, LockNb = 4;
    private const int ORdonly = 0, ORdwr = 2, OCreat = 0x40, OCloexec = 0x80000;
    private const int EWouldBlock = 11, EIntr = 4;

    private int _fd;

    private FolderLock(int fd) => _fd = fd;

    /// <summary>Locks FOLDER (creating it) through FOLDER/.sift.lock.</summary>
    public static FolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        return AcquireFile(Path.Combine(folder, FileName), folder);
    }

    /// <summary>Locks the output named <paramref name="target"/> through the lock file at <paramref name="lockPath"/>.</summary>
    public static FolderLock AcquireFile(string lockPath, string target)
    {
        if (!OperatingSystem.IsLinux()) return new FolderLock(-1); // Sift's training runs on Linux; elsewhere there is no lock
        if (Path.GetDirectoryName(Path.GetFullPath(lockPath)) is { } parent) Directory.CreateDirectory(parent);
        int fd = open(lockPath, ORdwr | OCreat | OCloexec, Convert.ToInt32("644", 8));
        if (fd < 0) throw new IOException($"{lockPath}: cannot open the lock file ({Marshal.GetLastPInvokeErrorMessage()}); check that {target} is writable");
        int errno = TryLock(fd);
        // A lock this process released lives on in a child it is starting, between fork and exec (the child
        // shares the lock file's descriptor until exec closes it): wait that out; a holder that is another
        // process, or this one still holding it, is refused (FolderLockForkStressTests).
        for (var waited = Stopwatch.StartNew(); errno == EWouldBlock && HolderPid(lockPath) == Environment.ProcessId && waited.Elapsed < ForkWindow;)
        {
            Thread.Sleep(1);
            errno = TryLock(fd);
        }
        if (errno != 0)
        {
            close(fd);
            if (errno == EWouldBlock) throw new SiftException($"{target} is in use by {Holder(lockPath)}; wait for it or stop it");
            throw new IOException($"{lockPath}: cannot lock ({Marshal.GetPInvokeErrorMessage(errno)})");
        }
        var info = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessId}\n{Process.GetCurrentProcess().StartTime.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC\n"));
        if (ftruncate(fd, 0) != 0 || pwrite(fd, info, info.Length, 0) != info.Length)
        {
            close(fd);
            throw new IOException($"{lockPath}: cannot write the lock file ({Marshal.GetLastPInvokeErrorMessage()})");
        }
        return new FolderLock(fd);
    }

    /// <summary>How long a lock released by this process may stay held by a child being started.</summary>
    private static readonly TimeSpan ForkWindow = TimeSpan.FromSeconds(2);

    /// <summary>0 when <paramref name="fd"/> is now locked, else the errno (EWOULDBLOCK: held elsewhere).</summary>
    private static int TryLock(int fd)
    {
        int rc;
        do rc = flock(fd, LockEx | LockNb); while (rc != 0 && Marshal.GetLastPInvokeError() == EIntr);
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>"sift process PID (started TIME)" from the lock file, or a plain description while the holder has not written it yet.</summary>
    private static string Holder(string lockPath)
    {
        var lines = HolderLines(lockPath);
        return lines.Length >= 2 && int.TryParse(lines[0], out int pid)
            ? $"sift process {pid} (started {lines[1]})"
            : "another sift process";
    }

    private static int? HolderPid(string lockPath) => HolderLines(lockPath) is [var first, ..] && int.TryParse(first, out int pid) ? pid : null;

    private static string[] HolderLines(string lockPath)
    {
        // Read with open(2): .NET's FileStream takes its own flock, which the holder's lock would refuse.
        int fd = open(lockPath, ORdonly | OCloexec, 0);
        if (fd < 0) return [];
        var buffer = new byte[256];
        long n = pread(fd, buffer, buffer.Length, 0);
        close(fd);
        return n > 0 ? Encoding.UTF8.GetString(buffer, 0, (int)n).Split('\n') : [];
    }

    public void Dispose()
    {
        if (_fd >= 0) close(_fd);
        _fd = -1;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int flock(int fd, int operation);

    [DllImport("libc", SetLastError = true)]
    private static extern int ftruncate(int fd, long length);

    [DllImport("libc", SetLastError = true)]
    private static extern long pwrite(int fd, byte[] buffer, long count, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern long pread(int fd, byte[] buffer, long count, long offset);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}

using System.Runtime.InteropServices;

namespace Sift.IO;

/// <summary>
/// What tells one version of a file from another without reading it: size, modification time and,
/// on Linux (statx), change time and inode, all to the nanosecond. Elsewhere the times are the
/// 100 ns ones .NET reports and change time and inode are 0.
/// </summary>
public readonly record struct FileStamp(long Size, long ModifiedNs, long ChangedNs, ulong Inode)
{
    public DateTime ModifiedUtc => DateTime.UnixEpoch.AddTicks(ModifiedNs / 100);

    public static FileStamp Of(string path)
    {
        if (OperatingSystem.IsLinux() && Statx(path) is { } stamp) return stamp;
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: file not found", path);
        return new FileStamp(info.Length, (info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100, 0, 0);
    }

    private const int AtFdCwd = -100;
    private const uint WantedFields = 0x40 | 0x80 | 0x100 | 0x200; // STATX_MTIME | STATX_CTIME | STATX_INO | STATX_SIZE

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern unsafe int StatxCall(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);

    /// <summary>Fields of struct statx at their fixed offsets (the same on every architecture); null where statx is unavailable.</summary>
    private static unsafe FileStamp? Statx(string path)
    {
        byte* b = stackalloc byte[256];
        try
        {
            if (StatxCall(AtFdCwd, path, 0, WantedFields, b) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        if ((*(uint*)b & WantedFields) != WantedFields) return null;
        static long Ns(byte* t) => *(long*)t * 1_000_000_000L + *(uint*)(t + 8);
        return new FileStamp(*(long*)(b + 40), Ns(b + 112), Ns(b + 96), *(ulong*)(b + 32));
    }
}

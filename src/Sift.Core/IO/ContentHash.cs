using System.Security.Cryptography;
using System.Text;

namespace Sift.IO;

/// <summary>SHA-256 of strings, files and folders (relative names and contents, in sorted order).</summary>
public static class ContentHash
{
    /// <summary>Files in a folder at least this large are hashed through <see cref="FileHashCache"/>, so a model folder is read once.</summary>
    private const long CachedFromBytes = 64L << 20;

    public static string OfString(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string OfPath(string path)
    {
        if (File.Exists(path)) return OfFile(path);
        if (!Directory.Exists(path)) throw new SiftException($"input '{path}' does not exist");
        var builder = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == FileHashCache.CacheFileName || FolderLock.IsLockFile(file)) continue; // state, not content
            var hash = new FileInfo(file).Length >= CachedFromBytes ? "xxh128:" + FileHashCache.Of(file) : OfFile(file);
            builder.Append(Path.GetRelativePath(path, file).Replace('\\', '/')).Append('\0').Append(hash).Append('\n');
        }
        return OfString(builder.ToString());
    }

    public static string OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

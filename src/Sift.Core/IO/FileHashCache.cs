using System.IO.Hashing;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sift.IO;

/// <summary>
/// XxHash128 of a file's content, remembered in a small cache file in the file's folder
/// (<see cref="CacheFileName"/>) under the file's name and <see cref="FileStamp"/>, so a 16 GB model
/// is read once and later only looked up. The cache is a convenience: when it cannot be read it is
/// ignored, and when the folder is read-only nothing is written.
/// </summary>
public static class FileHashCache
{
    public const string CacheFileName = ".sift-hashes.json";

    /// <summary>
    /// A file modified this shortly before it was hashed is not cached: a second write within the
    /// file system's timestamp granularity could leave its stamp unchanged (git's "racily clean" case).
    /// </summary>
    private static readonly TimeSpan RacyWindow = TimeSpan.FromSeconds(2);

    public static string Of(string path)
    {
        var full = Path.GetFullPath(path);
        var cachePath = Path.Combine(Path.GetDirectoryName(full)!, CacheFileName);
        var name = Path.GetFileName(full);
        var started = DateTime.UtcNow;
        var stamp = FileStamp.Of(full);
        if (Read(cachePath)[name] is JsonObject entry && Matches(entry, stamp) && entry["xxh128"]?.GetValue<string>() is { } cached)
            return cached;
        var hash = Compute(full);
        if (started - stamp.ModifiedUtc > RacyWindow) TryRemember(cachePath, name, stamp, hash);
        return hash;
    }

    /// <summary>XxHash128 of the file's bytes, streamed, as lowercase hex.</summary>
    public static string Compute(string path)
    {
        var hasher = new XxHash128();
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            hasher.Append(stream);
        return Convert.ToHexStringLower(hasher.GetCurrentHash());
    }

    private static bool Matches(JsonObject e, FileStamp s)
    {
        try
        {
            return e["size"]?.GetValue<long>() == s.Size && e["mtime_ns"]?.GetValue<long>() == s.ModifiedNs
                && e["ctime_ns"]?.GetValue<long>() == s.ChangedNs && e["inode"]?.GetValue<ulong>() == s.Inode;
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            return false;
        }
    }

    private static JsonObject Read(string cachePath)
    {
        try
        {
            return File.Exists(cachePath) && JsonNode.Parse(File.ReadAllText(cachePath)) is JsonObject o ? o : new JsonObject();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return new JsonObject();
        }
    }

    private static void TryRemember(string cachePath, string name, FileStamp stamp, string hash)
    {
        var dir = Path.GetDirectoryName(cachePath)!;
        var cache = Read(cachePath); // again: another process may have added entries meanwhile
        foreach (var gone in cache.Select(e => e.Key).Where(n => !File.Exists(Path.Combine(dir, n))).ToList()) cache.Remove(gone);
        cache[name] = new JsonObject
        {
            ["size"] = stamp.Size, ["mtime_ns"] = stamp.ModifiedNs, ["ctime_ns"] = stamp.ChangedNs, ["inode"] = stamp.Inode, ["xxh128"] = hash,
        };
        try { AtomicFile.WriteAllText(cachePath, cache.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

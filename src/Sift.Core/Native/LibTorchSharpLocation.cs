using Sift.IO;
using System.Security.Cryptography;

namespace Sift.Native;

/// <summary>
/// Decides which libLibTorchSharp.so TorchSharp should load: the installed one when it needs no patch
/// (the build patches it) or can be patched where it is, else a patched copy in a user-writable cache
/// ($XDG_CACHE_HOME/sift/native/HASH, or ~/.cache/...), for installs this user cannot write.
/// </summary>
public static class LibTorchSharpLocation
{
    public const string FileName = "libLibTorchSharp.so";

    /// <summary>The installed library: under runtimes/linux-x64/native, or beside the assemblies in a RID-specific publish; null if absent.</summary>
    public static string? Installed()
    {
        foreach (var dir in new[] { Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"), AppContext.BaseDirectory })
            if (File.Exists(Path.Combine(dir, FileName))) return Path.Combine(dir, FileName);
        return null;
    }

    public static string CacheRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetEnvironmentVariable("HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : !string.IsNullOrEmpty(home) ? Path.Combine(home, ".cache") : Path.GetTempPath();
        return Path.Combine(root, "sift", "native");
    }

    /// <summary>The path to load: <paramref name="so"/> itself when patched (in place if <paramref name="patchInPlace"/> and its folder allows), else the cached copy.</summary>
    public static string Prepare(string so, string cacheRoot, bool patchInPlace = true)
    {
        var bytes = File.ReadAllBytes(so);
        if (!GlibcxxVersionFix.MarkWeak(bytes)) return so;
        if (patchInPlace)
        {
            try
            {
                AtomicFile.WriteAllBytes(so, bytes);
                return so;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException) { }
        }
        try
        {
            return CachedCopy(so, bytes, cacheRoot);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new SiftException($"{so} needs a one-time patch to load with this system's libstdc++, but its folder is read-only and the cache " +
                                    $"{cacheRoot} cannot be written ({e.Message}); set XDG_CACHE_HOME to a writable folder, or reinstall Sift with `dotnet publish`, which patches it");
        }
    }

    /// <summary>
    /// CACHE/HASH/ holds the patched library and links to the libraries beside the original, which it
    /// finds through its $ORIGIN run path. Built under a temporary name and renamed, so a reader never
    /// sees it half-made.
    /// </summary>
    private static string CachedCopy(string so, byte[] patched, string cacheRoot)
    {
        var dir = Path.Combine(cacheRoot, Convert.ToHexStringLower(SHA256.HashData(patched))[..16]);
        var path = Path.Combine(dir, FileName);
        if (File.Exists(path)) return path;
        var temp = dir + $".{Environment.ProcessId}.tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        foreach (var sibling in Directory.EnumerateFiles(Path.GetDirectoryName(so)!))
            if (Path.GetFileName(sibling) != FileName) File.CreateSymbolicLink(Path.Combine(temp, Path.GetFileName(sibling)), sibling);
        File.WriteAllBytes(Path.Combine(temp, FileName), patched);
        try
        {
            Directory.Move(temp, dir);
        }
        catch (IOException) when (File.Exists(path))
        {
            Directory.Delete(temp, recursive: true); // another process made it first
        }
        return path;
    }
}

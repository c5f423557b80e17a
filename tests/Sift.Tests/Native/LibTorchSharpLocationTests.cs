using Sift.Native;

namespace Sift.Tests.Native;

/// <summary>The start-up fallback for a libLibTorchSharp.so that still needs its patch, on an install this user may not write.</summary>
public class LibTorchSharpLocationTests
{
    /// <summary>A native folder holding the library as the package ships it (unpatched) and one sibling library.</summary>
    public static string UnpatchedInstall()
    {
        var dir = Paths.NewTempDir();
        var bytes = File.ReadAllBytes(LibTorchSharpLocation.Installed()!);
        Assert.True(GlibcxxVersionFix.SetWeak(bytes, weak: false));
        File.WriteAllBytes(Path.Combine(dir, LibTorchSharpLocation.FileName), bytes);
        File.WriteAllText(Path.Combine(dir, "libtorch.so"), "sibling");
        return Path.Combine(dir, LibTorchSharpLocation.FileName);
    }

    [Fact]
    public void TheBuildPatchedTheLibraryInTheOutputFolder()
    {
        Assert.False(GlibcxxVersionFix.MarkWeak(File.ReadAllBytes(LibTorchSharpLocation.Installed()!)));
    }

    [Fact]
    public void AWritableInstallIsPatchedInPlace()
    {
        var so = UnpatchedInstall();
        var cache = Paths.NewTempDir();
        Assert.Equal(so, LibTorchSharpLocation.Prepare(so, cache));
        Assert.False(GlibcxxVersionFix.MarkWeak(File.ReadAllBytes(so)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(cache));
    }

    [Fact]
    public void AnUnwritableInstallGetsAPatchedCopyInTheCacheBesideLinksToItsSiblings()
    {
        var so = UnpatchedInstall();
        var original = File.ReadAllBytes(so);
        var cache = Paths.NewTempDir();
        var copy = LibTorchSharpLocation.Prepare(so, cache, patchInPlace: false);
        Assert.StartsWith(cache, copy);
        Assert.False(GlibcxxVersionFix.MarkWeak(File.ReadAllBytes(copy)));
        Assert.Equal(original, File.ReadAllBytes(so));
        var sibling = new FileInfo(Path.Combine(Path.GetDirectoryName(copy)!, "libtorch.so"));
        Assert.Equal(Path.Combine(Path.GetDirectoryName(so)!, "libtorch.so"), sibling.LinkTarget);
        Assert.Equal(copy, LibTorchSharpLocation.Prepare(so, cache, patchInPlace: false)); // reused
    }

    [Fact]
    public void WhenNeitherTheInstallNorTheCacheIsWritableTheErrorSaysWhatToDo()
    {
        var so = UnpatchedInstall();
        var blocker = Path.Combine(Paths.NewTempDir(), "a-file");
        File.WriteAllText(blocker, "");
        var e = Assert.Throws<SiftException>(() => LibTorchSharpLocation.Prepare(so, Path.Combine(blocker, "cache"), patchInPlace: false));
        Assert.Contains($"{so} needs a one-time patch", e.Message);
        Assert.Contains("set XDG_CACHE_HOME to a writable folder", e.Message);
    }
}

using System.Text.Json.Nodes;
using Sift.IO;

namespace Sift.Tests.Scoring;

public class FileHashCacheTests
{
    private static readonly DateTime LongAgo = new(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private static (string Dir, string File) Fixture(string content)
    {
        var dir = Paths.NewTempDir("sift-hash");
        var file = Path.Combine(dir, "model.safetensors");
        File.WriteAllText(file, content);
        return (dir, file);
    }

    private static void Tamper(string dir, string fake)
    {
        var path = Path.Combine(dir, FileHashCache.CacheFileName);
        var cache = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        cache["model.safetensors"]!["xxh128"] = fake;
        File.WriteAllText(path, cache.ToJsonString());
    }

    [Fact]
    public void AHashIsCachedByStampAndRecomputedWhenTheFileChangesEvenWithTheSameSizeAndModificationTime()
    {
        var (dir, file) = Fixture("aaaa");
        Assert.Equal(FileHashCache.Compute(file), FileHashCache.Of(file));
        Assert.False(File.Exists(Path.Combine(dir, FileHashCache.CacheFileName)), "a file written just now must not be cached (racy stamp)");

        File.SetLastWriteTimeUtc(file, LongAgo);
        Assert.Equal(FileHashCache.Compute(file), FileHashCache.Of(file));
        Assert.True(File.Exists(Path.Combine(dir, FileHashCache.CacheFileName)));
        Tamper(dir, "cached");
        Assert.Equal("cached", FileHashCache.Of(file)); // looked up, not read again

        File.WriteAllText(file, "bbbb");
        File.SetLastWriteTimeUtc(file, LongAgo);
        var fresh = FileHashCache.Of(file);
        Assert.Equal(FileHashCache.Compute(file), fresh);
        Assert.NotEqual("cached", fresh);
    }

    [Fact]
    public void AnUnwritableOrDamagedCacheFallsBackToHashing()
    {
        var (dir, file) = Fixture("aaaa");
        File.SetLastWriteTimeUtc(file, LongAgo);
        var cache = Path.Combine(dir, FileHashCache.CacheFileName);
        Directory.CreateDirectory(cache); // neither readable nor replaceable as a file, like a read-only folder (tests may run as root)
        Assert.Equal(FileHashCache.Compute(file), FileHashCache.Of(file));
        Assert.True(Directory.Exists(cache));

        Directory.Delete(cache);
        File.WriteAllText(cache, "{ not json");
        Assert.Equal(FileHashCache.Compute(file), FileHashCache.Of(file));
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(cache))!["model.safetensors"]);
    }
}

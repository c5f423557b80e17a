using Sift.IO;
using Sift.Models;
using Sift.Models.Safetensors;
using static TorchSharp.torch;

namespace Sift.Tests.Scoring;

public class WeightsIdentityTests
{
    [Fact]
    public void RetrainedWeightsOrAnEditedConfigChangeTheIdentityAndTheCacheFileDoesNot()
    {
        var ws = new ScoringWorkspace();
        var first = WeightsIdentity.Of(ws.Model);
        Assert.Equal(first, WeightsIdentity.Of(ws.Model));
        foreach (var f in Directory.GetFiles(ws.Model)) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-1));
        Assert.Equal(first, WeightsIdentity.Of(ws.Model)); // now cached
        Assert.True(File.Exists(Path.Combine(ws.Model, FileHashCache.CacheFileName)));
        Assert.Equal(first, WeightsIdentity.Of(ws.Model));

        ws.SaveModel("model", seed: 2);
        var retrained = WeightsIdentity.Of(ws.Model);
        Assert.NotEqual(first, retrained);

        var config = Path.Combine(ws.Model, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"rms_norm_eps\"", "\"unused_note\": 1, \"rms_norm_eps\""));
        Assert.NotEqual(retrained, WeightsIdentity.Of(ws.Model));
    }

    [Fact]
    public void EveryShardTheIndexListsIsPartOfTheIdentity()
    {
        var dir = Paths.NewTempDir("sift-shards");
        Dictionary<string, Tensor> Weights(float b) => new() { ["a"] = ones(16, 16) * 1f, ["b"] = ones(16, 16) * b, ["c"] = ones(16, 16) * 3f };
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        SafetensorsCheckpoint.Save(dir, Weights(2f), maxShardBytes: 16 * 16 * 4);
        Assert.True(File.Exists(Path.Combine(dir, SafetensorsCheckpoint.IndexFile)));
        var before = WeightsIdentity.Of(dir);
        SafetensorsCheckpoint.Save(dir, Weights(5f), maxShardBytes: 16 * 16 * 4);
        Assert.NotEqual(before, WeightsIdentity.Of(dir));

        var shard = SafetensorsCheckpoint.Files(dir)[1];
        File.Delete(shard);
        var e = Assert.Throws<SiftException>(() => WeightsIdentity.Of(dir));
        Assert.Contains(Path.GetFileName(shard), e.Message);
    }
}

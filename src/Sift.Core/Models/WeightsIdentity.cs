using System.IO.Hashing;
using System.Text;
using Sift.IO;
using Sift.Models.Safetensors;

namespace Sift.Models;

/// <summary>
/// The identity of a model folder's weights: a hash over the contents of config.json and the weight
/// files (model.safetensors, or model.safetensors.index.json and every shard it lists). Each file's
/// hash is cached by <see cref="FileHashCache"/>, so retraining into the same folder changes the
/// identity while an unchanged 16 GB model is read only once.
/// </summary>
public static class WeightsIdentity
{
    public static string Of(string modelDir)
    {
        var config = Path.Combine(modelDir, "config.json");
        if (!File.Exists(config)) throw new SiftException($"'{config}' not found: a model folder needs the config.json that Hugging Face writes with the weights");
        var index = Path.Combine(modelDir, SafetensorsCheckpoint.IndexFile);
        var files = new List<string> { config };
        if (File.Exists(index)) files.Add(index);
        files.AddRange(SafetensorsCheckpoint.Files(modelDir));
        var listing = new StringBuilder();
        foreach (var file in files.Distinct().OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
            listing.Append(Path.GetFileName(file)).Append('\0').Append(FileHashCache.Of(file)).Append('\n');
        return Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(listing.ToString())));
    }

    /// <summary>The first 12 hex digits, for messages.</summary>
    public static string Short(string identity) => identity.Length > 12 ? identity[..12] : identity;
}

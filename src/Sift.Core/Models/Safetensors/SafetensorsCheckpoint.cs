using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.IO;
using static TorchSharp.torch;

namespace Sift.Models.Safetensors;

/// <summary>
/// A model folder's weights: model.safetensors, or shards listed by model.safetensors.index.json
/// (weight_map: tensor name → shard file), in Hugging Face's naming.
/// </summary>
public static class SafetensorsCheckpoint
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";
    public const long DefaultMaxShardBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>Every tensor's header entry, by name, without reading data.</summary>
    public static Dictionary<string, TensorInfo> ListTensors(string modelDir) =>
        Shards(modelDir).SelectMany(s => s.Names.Select(n => (n, SafetensorsHeader.Read(s.Path).Tensors[n])))
            .ToDictionary(p => p.n, p => p.Item2);

    public static Dictionary<string, Tensor> Load(string modelDir)
    {
        var all = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (path, names) in Shards(modelDir))
                foreach (var (k, v) in SafetensorsFile.Load(path, names)) all[k] = v;
            return all;
        }
        catch
        {
            foreach (var t in all.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes model.safetensors, or model-0000i-of-0000n.safetensors shards plus the index when the
    /// weights exceed <paramref name="maxShardBytes"/>. New files are complete before weight files
    /// of an earlier save in the same folder are removed.
    /// </summary>
    public static void Save(string modelDir, IReadOnlyDictionary<string, Tensor> tensors, long maxShardBytes = DefaultMaxShardBytes)
    {
        Directory.CreateDirectory(modelDir);
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        long total = ordered.Sum(kv => kv.Value.NumberOfElements * kv.Value.ElementSize);
        var written = new HashSet<string>();
        if (total <= maxShardBytes)
        {
            SafetensorsFile.Save(Path.Combine(modelDir, SingleFile), tensors);
            written.Add(SingleFile);
        }
        else
        {
            var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
            long size = 0;
            foreach (var kv in ordered)
            {
                long bytes = kv.Value.NumberOfElements * kv.Value.ElementSize;
                if (size > 0 && size + bytes > maxShardBytes) { shards.Add([]); size = 0; }
                shards[^1].Add(kv);
                size += bytes;
            }
            var weightMap = new JsonObject();
            for (int i = 0; i < shards.Count; i++)
            {
                var file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                SafetensorsFile.Save(Path.Combine(modelDir, file), shards[i].ToDictionary(kv => kv.Key, kv => kv.Value));
                foreach (var kv in shards[i]) weightMap[kv.Key] = file;
                written.Add(file);
            }
            var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = weightMap };
            AtomicFile.WriteAllText(Path.Combine(modelDir, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            written.Add(IndexFile);
        }
        foreach (var stale in Directory.EnumerateFiles(modelDir, "model*.safetensors*"))
            if (!written.Contains(Path.GetFileName(stale))) File.Delete(stale);
    }

    /// <summary>The weight files of a model folder: model.safetensors, or the shards its index lists (checked to exist).</summary>
    public static IReadOnlyList<string> Files(string modelDir) => Shards(modelDir).Select(s => s.Path).ToList();

    private static List<(string Path, List<string> Names)> Shards(string modelDir)
    {
        if (!Directory.Exists(modelDir)) throw new SiftException($"model folder '{modelDir}' does not exist");
        var indexPath = Path.Combine(modelDir, IndexFile);
        var single = Path.Combine(modelDir, SingleFile);
        if (!File.Exists(indexPath))
        {
            if (!File.Exists(single))
                throw new SiftException($"no {SingleFile} or {IndexFile} in '{modelDir}'; Sift loads weights only from safetensors (convert .bin/.pth checkpoints with Hugging Face's save_pretrained(safe_serialization=True))");
            return [(single, SafetensorsHeader.Read(single).Tensors.Keys.ToList())];
        }
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(indexPath)); }
        catch (JsonException e) { throw new SiftException($"'{indexPath}' is not valid JSON ({e.Message})"); }
        if (node?["weight_map"] is not JsonObject map) throw new SiftException($"'{indexPath}' has no weight_map object");
        var byShard = new Dictionary<string, List<string>>();
        foreach (var (name, fileNode) in map)
        {
            var file = fileNode is JsonValue v && v.TryGetValue(out string? f) ? f : throw new SiftException($"'{indexPath}': weight_map['{name}'] must be a file name");
            if (file.Contains('/') || file.Contains('\\') || file.Contains(".."))
                throw new SiftException($"'{indexPath}': weight_map['{name}'] names '{file}', which is outside the model folder");
            (byShard.TryGetValue(file, out var list) ? list : byShard[file] = []).Add(name);
        }
        var result = new List<(string, List<string>)>();
        foreach (var (file, names) in byShard)
        {
            var path = Path.Combine(modelDir, file);
            if (!File.Exists(path)) throw new SiftException($"'{indexPath}' lists shard '{file}', which is missing from '{modelDir}'");
            var header = SafetensorsHeader.Read(path);
            foreach (var n in names)
                if (!header.Tensors.ContainsKey(n)) throw new SiftException($"'{indexPath}' places tensor '{n}' in '{file}', but that shard does not hold it");
            result.Add((path, names));
        }
        return result;
    }
}

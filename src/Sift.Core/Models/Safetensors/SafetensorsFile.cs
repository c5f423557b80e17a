using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Sift.IO;
using static TorchSharp.torch;

namespace Sift.Models.Safetensors;

/// <summary>Reads and writes one safetensors file (the only weight format Sift loads: no pickle).</summary>
public static class SafetensorsFile
{
    private const int BufferSize = 1 << 22;

    /// <summary>Loads the named tensors (all when <paramref name="names"/> is null) as CPU tensors in their stored dtype.</summary>
    public static Dictionary<string, Tensor> Load(string path, IEnumerable<string>? names = null)
    {
        var header = SafetensorsHeader.Read(path);
        var wanted = names?.ToList() ?? header.Tensors.Keys.ToList();
        var result = new Dictionary<string, Tensor>();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        try
        {
            foreach (var name in wanted.OrderBy(n => header.Tensors.TryGetValue(n, out var i) ? i.Begin : -1))
            {
                if (!header.Tensors.TryGetValue(name, out var info)) throw new SiftException($"safetensors file '{path}' has no tensor '{name}'");
                if (info.ByteSize > int.MaxValue)
                    throw new SiftException($"safetensors file '{path}': tensor '{name}' has {info.ByteSize} bytes; tensors over 2 GB cannot be loaded by TorchSharp");
                var tensor = empty(info.Shape, SafetensorsDtype.ToScalarType(info.Dtype, $"safetensors file '{path}', tensor '{name}'"));
                result[name] = tensor;
                if (info.ByteSize == 0) continue;
                stream.Position = header.DataStart + info.Begin;
                tensor.ReadBytesFromStream(stream, BufferSize);
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes tensors sorted by name, contiguous, header padded with spaces to 8 bytes, with
    /// {"format": "pt"} metadata as transformers writes; atomically.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        var meta = new JsonObject();
        foreach (var (k, v) in metadata ?? new Dictionary<string, string> { ["format"] = "pt" }) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, t) in ordered)
        {
            long bytes = t.NumberOfElements * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = SafetensorsDtype.FromScalarType(t.dtype),
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, t) in ordered)
            {
                if (t.NumberOfElements == 0) continue;
                using var scope = NewDisposeScope();
                t.detach().cpu().contiguous().WriteBytesToStream(stream, BufferSize);
            }
        });
    }
}

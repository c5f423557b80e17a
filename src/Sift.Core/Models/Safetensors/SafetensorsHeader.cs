using System.Buffers.Binary;
using System.Text.Json;

namespace Sift.Models.Safetensors;

/// <summary>One tensor's entry in a safetensors header; offsets are relative to the data section.</summary>
public sealed record TensorInfo(string Name, string Dtype, long[] Shape, long Begin, long End)
{
    public long ByteSize => End - Begin;
}

/// <summary>
/// A validated safetensors header. Reading rejects, with the file named: a header length that is
/// absurd or past the end of the file, JSON that is not an object, unknown dtypes, negative dims,
/// byte sizes that differ from shape × dtype size, offsets past the data, tensors that overlap,
/// gaps or trailing bytes (the data must be tiled exactly, as Hugging Face's loader requires),
/// and duplicate names.
/// </summary>
public sealed class SafetensorsHeader
{
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private SafetensorsHeader(string path, long headerLength, IReadOnlyDictionary<string, TensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        HeaderLength = headerLength;
        Tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }
    public long HeaderLength { get; }
    /// <summary>Absolute file offset where tensor data begins.</summary>
    public long DataStart => 8 + HeaderLength;
    public IReadOnlyDictionary<string, TensorInfo> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafetensorsHeader Read(string path)
    {
        if (!File.Exists(path)) throw new SiftException($"'{path}' not found");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long fileLength = stream.Length;
        if (fileLength < 8) throw Bad(path, $"the file has {fileLength} bytes, fewer than the 8-byte header length; it is truncated or not safetensors");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes)
            throw Bad(path, $"header length {headerLength} is not plausible (2 to {MaxHeaderBytes} bytes); the file is corrupt or not safetensors");
        if ((long)headerLength > fileLength - 8)
            throw Bad(path, $"header length {headerLength} runs past the end of the {fileLength}-byte file; the file is truncated");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataLength = fileLength - 8 - (long)headerLength;
        return Parse(path, json, (long)headerLength, dataLength);
    }

    private static SafetensorsHeader Parse(string path, byte[] json, long headerLength, long dataLength)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw Bad(path, $"the header is not valid JSON ({e.Message})"); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "the header must be a JSON object");

        var tensors = new Dictionary<string, TensorInfo>();
        var metadata = new Dictionary<string, string>();
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                if (property.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ must be an object of strings");
                foreach (var m in property.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw Bad(path, $"__metadata__ value '{m.Name}' must be a string");
                continue;
            }
            var info = ParseTensor(path, property);
            if (!tensors.TryAdd(info.Name, info)) throw Bad(path, $"tensor '{info.Name}' appears twice in the header");
        }

        long expected = 0;
        foreach (var t in tensors.Values.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < expected) throw Bad(path, $"tensor '{t.Name}' (bytes {t.Begin}..{t.End}) overlaps the tensor before it");
            if (t.Begin > expected) throw Bad(path, $"bytes {expected}..{t.Begin} before tensor '{t.Name}' belong to no tensor; the offsets are corrupt");
            expected = t.End;
        }
        if (expected > dataLength) throw Bad(path, $"tensor data needs {expected} bytes but only {dataLength} follow the header; the file is truncated");
        if (expected < dataLength) throw Bad(path, $"{dataLength - expected} bytes after the last tensor belong to no tensor; the file is corrupt");
        return new SafetensorsHeader(path, headerLength, tensors, metadata);
    }

    private static TensorInfo ParseTensor(string path, JsonProperty property)
    {
        var name = property.Name;
        var e = property.Value;
        if (e.ValueKind != JsonValueKind.Object) throw Bad(path, $"entry '{name}' must be an object with dtype, shape and data_offsets");
        if (!e.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{name}' has no dtype");
        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDtype.IsKnown(dtype)) throw Bad(path, $"tensor '{name}' has unknown dtype '{dtype}'");
        if (!e.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{name}' has no shape");
        var shape = new List<long>();
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                throw Bad(path, $"tensor '{name}' has an invalid dimension {d.GetRawText()} in its shape");
            shape.Add(dim);
        }
        if (!e.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw Bad(path, $"tensor '{name}' needs data_offsets [begin, end] with 0 <= begin <= end");
        long bytes;
        try { bytes = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * SafetensorsDtype.SizeOf(dtype)); }
        catch (OverflowException) { throw Bad(path, $"tensor '{name}' has a shape too large to address"); }
        if (bytes != end - begin)
            throw Bad(path, $"tensor '{name}' has shape [{string.Join(", ", shape)}] of {dtype} ({bytes} bytes) but its offsets span {end - begin} bytes");
        return new TensorInfo(name, dtype, shape.ToArray(), begin, end);
    }

    private static SiftException Bad(string path, string what) => new($"safetensors file '{path}': {what}");
}

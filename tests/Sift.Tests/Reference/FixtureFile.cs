using System.Buffers.Binary;
using System.Text.Json;

namespace Sift.Tests.Reference;

/// <summary>
/// Test-only view of a safetensors file: the header entries and raw I64 data. Deliberately separate
/// from Sift's own loader so the fixtures are checked without the code they are meant to test.
/// </summary>
internal sealed class FixtureFile
{
    public sealed record Entry(string Dtype, long[] Shape, long Start, long End);

    public IReadOnlyDictionary<string, Entry> Tensors { get; }
    public long HeaderLength { get; }
    private readonly byte[] _bytes;

    public FixtureFile(string path)
    {
        _bytes = File.ReadAllBytes(path);
        HeaderLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(_bytes);
        using var doc = JsonDocument.Parse(_bytes.AsMemory(8, (int)HeaderLength));
        var tensors = new Dictionary<string, Entry>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var offsets = p.Value.GetProperty("data_offsets");
            tensors[p.Name] = new Entry(
                p.Value.GetProperty("dtype").GetString()!,
                p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(),
                offsets[0].GetInt64(),
                offsets[1].GetInt64());
        }
        Tensors = tensors;
    }

    public long DataLength => _bytes.Length - 8 - HeaderLength;

    public long[] ReadInt64(string name)
    {
        var span = Data(name, "I64");
        var values = new long[span.Length / 8];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(span[(i * 8)..]);
        return values;
    }

    public float[] ReadFloat32(string name)
    {
        var span = Data(name, "F32");
        var values = new float[span.Length / 4];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(i * 4)..]);
        return values;
    }

    public double[] ReadFloat64(string name)
    {
        var span = Data(name, "F64");
        var values = new double[span.Length / 8];
        for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(span[(i * 8)..]);
        return values;
    }

    private ReadOnlySpan<byte> Data(string name, string dtype)
    {
        var e = Tensors[name];
        Assert.Equal(dtype, e.Dtype);
        return _bytes.AsSpan((int)(8 + HeaderLength + e.Start), (int)(e.End - e.Start));
    }
}

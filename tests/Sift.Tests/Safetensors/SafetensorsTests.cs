using System.Buffers.Binary;
using System.Text;
using Sift.Models.Safetensors;
using static TorchSharp.torch;

namespace Sift.Tests.Safetensors;

public class SafetensorsTests
{
    /// <summary>A file built byte by byte: u64 header length, header JSON, data.</summary>
    private static string Raw(string headerJson, byte[] data, ulong? claimedLength = null)
    {
        var path = Path.Combine(Paths.NewTempDir(), "x.safetensors");
        var json = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void WritesTheExactLayoutOfTheFormat()
    {
        var path = Path.Combine(Paths.NewTempDir(), "t.safetensors");
        SafetensorsFile.Save(path, new Dictionary<string, Tensor> { ["b"] = tensor(new float[] { 1.5f }), ["a"] = tensor(new short[] { 7, -1 }) });
        var bytes = File.ReadAllBytes(path);
        var header = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        int padded = (header.Length + 7) / 8 * 8;
        Assert.Equal((ulong)padded, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(header.PadRight(padded), Encoding.UTF8.GetString(bytes, 8, padded));
        Assert.Equal(new byte[] { 7, 0, 0xff, 0xff, 0, 0, 0xc0, 0x3f }, bytes[(8 + padded)..]);
    }

    [Fact]
    public void RoundTripsEveryDtypeScalarsAndEmptyTensors()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["f64"] = tensor(new[] { 1.0, -2.5 }), ["f32"] = randn(3, 4), ["f16"] = randn(5).to_type(ScalarType.Float16),
            ["bf16"] = randn(2, 3).to_type(ScalarType.BFloat16), ["i64"] = tensor(new long[] { long.MaxValue, -3 }),
            ["i32"] = tensor(new[] { 1, 2, 3 }), ["i16"] = tensor(new short[] { -4 }), ["i8"] = tensor(new sbyte[] { -8, 9 }),
            ["u8"] = tensor(new byte[] { 255, 0 }), ["bool"] = tensor(new[] { true, false, true }),
            ["scalar"] = tensor(3.25f), ["empty"] = zeros(0, 4),
        };
        var path = Path.Combine(Paths.NewTempDir(), "all.safetensors");
        SafetensorsFile.Save(path, tensors);
        var back = SafetensorsFile.Load(path);
        Assert.Equal(tensors.Keys.Order(), back.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.dtype, back[name].dtype);
            Assert.Equal(t.shape, back[name].shape);
            Assert.True(t.eq(back[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void ReadsAFileWrittenByAnIndependentWriterAndRewritesTheSameBytes()
    {
        // stories260K-hf was written by a Python tool (shared/assets/tools/llama2c_to_hf.py).
        var source = Paths.Asset("models", "stories260K-hf", "model.safetensors");
        var header = SafetensorsHeader.Read(source);
        Assert.Equal([512L, 64], header.Tensors["model.embed_tokens.weight"].Shape);
        Assert.Equal([32L, 64], header.Tensors["model.layers.4.self_attn.k_proj.weight"].Shape);
        Assert.Equal([172L, 64], header.Tensors["model.layers.0.mlp.gate_proj.weight"].Shape);
        var tensors = SafetensorsFile.Load(source);
        var copy = Path.Combine(Paths.NewTempDir(), "copy.safetensors");
        SafetensorsFile.Save(copy, tensors);
        var reread = SafetensorsHeader.Read(copy);
        using var original = File.OpenRead(source);
        using var rewritten = File.OpenRead(copy);
        foreach (var (name, info) in header.Tensors)
        {
            var a = new byte[info.ByteSize];
            var b = new byte[info.ByteSize];
            original.Position = header.DataStart + info.Begin; original.ReadExactly(a);
            rewritten.Position = reread.DataStart + reread.Tensors[name].Begin; rewritten.ReadExactly(b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void ShardedSaveLoadsBackAndReplacesAnEarlierSingleFile()
    {
        var dir = Paths.NewTempDir();
        var tensors = Enumerable.Range(0, 5).ToDictionary(i => $"w{i}", i => randn(16, 16));
        SafetensorsCheckpoint.Save(dir, tensors);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        SafetensorsCheckpoint.Save(dir, tensors, maxShardBytes: 2 * 16 * 16 * 4);
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.Equal(["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", "model.safetensors.index.json"],
            Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order().ToArray());
        var back = SafetensorsCheckpoint.Load(dir);
        foreach (var (name, t) in tensors) Assert.True(t.eq(back[name]).all().item<bool>());
        SafetensorsCheckpoint.Save(dir, tensors);
        Assert.Equal(["model.safetensors"], Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).ToArray());
    }

    public static TheoryData<string, string, byte[], ulong?, string> HostileFiles => new()
    {
        { "absurd header length", "{}", [], ulong.MaxValue >> 1, "not plausible" },
        { "header past end of file", "{}", [], 4096, "past the end" },
        { "not an object", "[1,2]", [], null, "must be a JSON object" },
        { "invalid JSON", "{\"a\":", [], null, "not valid JSON" },
        { "unknown dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", new byte[16], null, "unknown dtype 'F128'" },
        { "size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8], null, "span 8 bytes" },
        { "negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4], null, "invalid dimension" },
        { "offsets past end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8], null, "truncated" },
        { "overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12], null, "overlaps" },
        { "gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8], null, "belong to no tensor" },
        { "trailing bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[12], null, "after the last tensor" },
        { "duplicate name", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", new byte[2], null, "appears twice" },
        { "overflowing shape", "{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", new byte[8], null, "too large" },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void HostileFilesAreRejectedWithTheFileNamed(string _, string header, byte[] data, ulong? claimed, string expected)
    {
        var path = Raw(header, data, claimed);
        var e = Assert.Throws<SiftException>(() => SafetensorsFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TruncatedFilesAreRejected()
    {
        var path = Path.Combine(Paths.NewTempDir(), "t.safetensors");
        SafetensorsFile.Save(path, new Dictionary<string, Tensor> { ["w"] = randn(64, 64) });
        var bytes = File.ReadAllBytes(path);
        foreach (int keep in new[] { 4, 20, bytes.Length - 100 })
        {
            File.WriteAllBytes(path, bytes[..keep]);
            Assert.Contains(path, Assert.Throws<SiftException>(() => SafetensorsFile.Load(path)).Message);
        }
    }

    [Fact]
    public void AnIndexNamingAMissingShardOrTensorIsRejected()
    {
        var dir = Paths.NewTempDir();
        SafetensorsFile.Save(Path.Combine(dir, "model-00001-of-00002.safetensors"), new Dictionary<string, Tensor> { ["a"] = ones(2) });
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        Assert.Contains("missing", Assert.Throws<SiftException>(() => SafetensorsCheckpoint.Load(dir)).Message);
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"c\":\"model-00001-of-00002.safetensors\"}}");
        Assert.Contains("does not hold it", Assert.Throws<SiftException>(() => SafetensorsCheckpoint.Load(dir)).Message);
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), "{\"weight_map\":{\"a\":\"../../etc/passwd\"}}");
        Assert.Contains("outside the model folder", Assert.Throws<SiftException>(() => SafetensorsCheckpoint.Load(dir)).Message);
        Assert.Contains("no model.safetensors", Assert.Throws<SiftException>(() => SafetensorsCheckpoint.Load(Paths.NewTempDir())).Message);
    }
}

using Sift.Native;
using System.Text;
using static TorchSharp.torch;

namespace Sift.Models.Llama2c;

/// <summary>
/// llama2.c's float32 checkpoint formats: the legacy header (version 0: seven int32, a negative
/// vocab size meaning a separate classifier) and version 1 (magic "ak42", version, seven int32,
/// a shared-classifier byte, padded to 256 bytes). llama2.c rotates interleaved pairs (2i, 2i+1)
/// while Hugging Face rotates halves (i, i + d/2), so q and k rows are permuted per head on the way in
/// and back on the way out. llama2.c fixes rope_theta = 10000 and RMSNorm eps = 1e-5.
/// </summary>
public static class Llama2cCheckpoint
{
    private const uint Magic = 0x616b3432;

    public static (ModelConfig Config, Dictionary<string, Tensor> Weights) Read(string path)
    {
        if (!File.Exists(path)) throw new SiftException($"llama2.c checkpoint '{path}' not found");
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (stream.Length < 28) throw new SiftException($"'{path}' has {stream.Length} bytes, too few for a llama2.c header");
        int version = 0;
        bool shared;
        int[] p;
        if (reader.ReadUInt32() == Magic)
        {
            version = reader.ReadInt32();
            if (version != 1) throw new SiftException($"'{path}' is llama2.c format version {version}; Sift reads the float32 versions 0 (legacy) and 1 (quantized version 2 is not supported)");
            p = Enumerable.Range(0, 7).Select(_ => reader.ReadInt32()).ToArray();
            shared = reader.ReadByte() != 0;
            stream.Position = 256;
        }
        else
        {
            stream.Position = 0;
            p = Enumerable.Range(0, 7).Select(_ => reader.ReadInt32()).ToArray();
            shared = p[5] > 0;
            p[5] = Math.Abs(p[5]);
        }
        int dim = p[0], hidden = p[1], layers = p[2], heads = p[3], kvHeads = p[4], vocab = p[5], seqLen = p[6];
        if (p.Any(v => v <= 0) || dim % heads != 0 || heads % kvHeads != 0 || dim > 1 << 16 || layers > 1024 || vocab > 1 << 20 || seqLen > 1 << 20)
            throw new SiftException($"'{path}' has an implausible llama2.c header (dim {dim}, hidden {hidden}, layers {layers}, heads {heads}, kv heads {kvHeads}, vocab {vocab}, seq_len {seqLen}); it is not a llama2.c float32 checkpoint");
        int headDim = dim / heads, kvDim = kvHeads * headDim;

        var shapes = Layout(version, dim, hidden, layers, kvDim, vocab, seqLen, headDim, shared);
        long expected = (version == 1 ? 256 : 28) + 4 * shapes.Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b));
        if (stream.Length != expected)
            throw new SiftException($"'{path}' has {stream.Length} bytes but its header (version {version}) implies {expected}; the file is truncated or not this format");

        var config = ModelConfig.Create(vocabSize: vocab, hiddenSize: dim, intermediateSize: hidden, numLayers: layers, numHeads: heads,
            numKvHeads: kvHeads, maxPositionEmbeddings: seqLen, ropeTheta: 10000, rmsNormEps: 1e-5, tieWordEmbeddings: shared);
        var weights = new Dictionary<string, Tensor>();
        foreach (var (name, shape) in shapes)
        {
            var t = empty(shape, ScalarType.Float32);
            t.ReadBytesFromStream(stream, 1 << 22);
            if (name == null) { t.Dispose(); continue; } // llama2.c's unused RoPE tables
            weights[name] = name.Contains("q_proj") ? ToRotateHalf(t, heads) : name.Contains("k_proj") ? ToRotateHalf(t, kvHeads) : t;
        }
        return (config, weights);
    }

    /// <summary>Writes a float32 llama2.c checkpoint (version 0 or 1) that run.c can execute.</summary>
    public static void Write(string path, ModelConfig c, IReadOnlyDictionary<string, Tensor> weights, int version = 0)
    {
        if (version is not (0 or 1)) throw new SiftException($"llama2.c export writes versions 0 and 1, not {version}");
        if (c.QkvBias || c.OutputBias || c.MlpBias || c.RopeScaling != null || c.RopeTheta != 10000 || Math.Abs(c.RmsNormEps - 1e-5) > 1e-12 || c.HeadDim * c.NumHeads != c.HiddenSize)
            throw new SiftException("llama2.c runs only plain Llama: no biases, rope_theta 10000, no rope scaling, rms_norm_eps 1e-5, head_dim = hidden_size / heads");
        int kvDim = c.NumKvHeads * c.HeadDim;
        var shapes = Layout(version, c.HiddenSize, c.IntermediateSize, c.NumLayers, kvDim, c.VocabSize, c.MaxPositionEmbeddings, c.HeadDim, c.TieWordEmbeddings);
        Sift.IO.AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            int[] header = [c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.TieWordEmbeddings || version == 1 ? c.VocabSize : -c.VocabSize, c.MaxPositionEmbeddings];
            if (version == 1) { w.Write(Magic); w.Write(1); }
            foreach (var v in header) w.Write(v);
            if (version == 1) { w.Write((byte)(c.TieWordEmbeddings ? 1 : 0)); w.Write(new byte[256 - 37]); }
            w.Flush();
            using var _ = NewDisposeScope();
            var (cos, sin) = RopeTables(c.MaxPositionEmbeddings, c.HeadDim);
            int table = 0;
            foreach (var (name, _) in shapes)
            {
                Tensor t = name == null ? (table++ == 0 ? cos : sin)
                    : weights.TryGetValue(name, out var found) ? found.to_type(ScalarType.Float32).contiguous()
                    : throw new SiftException($"llama2.c export: tensor '{name}' is missing");
                if (name != null && name.Contains("q_proj")) t = ToInterleaved(t, c.NumHeads);
                if (name != null && name.Contains("k_proj")) t = ToInterleaved(t, c.NumKvHeads);
                t.contiguous().WriteBytesToStream(stream, 1 << 22);
            }
        });
    }

    /// <summary>Tensors in file order with their Hugging Face names (null for llama2.c's RoPE tables).</summary>
    private static List<(string? Name, long[] Shape)> Layout(int version, int dim, int hidden, int layers, int kvDim, int vocab, int seqLen, int headDim, bool shared)
    {
        var list = new List<(string?, long[])>();
        void PerLayer(string suffix, long[] shape) { for (int l = 0; l < layers; l++) list.Add(($"model.layers.{l}.{suffix}", shape)); }
        var embed = ("model.embed_tokens.weight", new long[] { vocab, dim });
        if (version == 1)
        {
            PerLayer("input_layernorm.weight", [dim]);
            PerLayer("post_attention_layernorm.weight", [dim]);
            list.Add(("model.norm.weight", [dim]));
            list.Add(embed);
        }
        else
        {
            list.Add(embed);
            PerLayer("input_layernorm.weight", [dim]);
        }
        PerLayer("self_attn.q_proj.weight", [dim, dim]);
        PerLayer("self_attn.k_proj.weight", [kvDim, dim]);
        PerLayer("self_attn.v_proj.weight", [kvDim, dim]);
        PerLayer("self_attn.o_proj.weight", [dim, dim]);
        if (version == 0) PerLayer("post_attention_layernorm.weight", [dim]);
        PerLayer("mlp.gate_proj.weight", [hidden, dim]);
        PerLayer("mlp.down_proj.weight", [dim, hidden]);
        PerLayer("mlp.up_proj.weight", [hidden, dim]);
        if (version == 0)
        {
            list.Add(("model.norm.weight", [dim]));
            list.Add((null, [seqLen, headDim / 2]));
            list.Add((null, [seqLen, headDim / 2]));
        }
        if (!shared) list.Add(("lm_head.weight", [vocab, dim]));
        return list;
    }

    /// <summary>Per head, row 2i + j (interleaved pairs) moves to row j·d/2 + i (halves).</summary>
    public static Tensor ToRotateHalf(Tensor w, int heads)
    {
        long rows = w.shape[0], cols = w.shape[1], half = rows / heads / 2;
        return w.view(heads, half, 2, cols).transpose(1, 2).reshape(rows, cols).contiguous();
    }

    /// <summary>The inverse of <see cref="ToRotateHalf"/>.</summary>
    public static Tensor ToInterleaved(Tensor w, int heads)
    {
        long rows = w.shape[0], cols = w.shape[1], half = rows / heads / 2;
        return w.view(heads, 2, half, cols).transpose(1, 2).reshape(rows, cols).contiguous();
    }

    private static (Tensor Cos, Tensor Sin) RopeTables(int seqLen, int headDim)
    {
        using var scope = NewDisposeScope();
        using var zero = Scalars.Hold(0L);
        using var dim = Scalars.Hold(headDim);
        using var theta = tensor(10000.0);
        var freqs = pow(theta, arange(zero, dim, Scalars.Two, ScalarType.Float64).div(dim)).Into(1.0);
        var angles = Scalars.Range(0, seqLen, ScalarType.Float64).unsqueeze(1) * freqs.unsqueeze(0);
        return (angles.cos().to_type(ScalarType.Float32).MoveToOuterDisposeScope(), angles.sin().to_type(ScalarType.Float32).MoveToOuterDisposeScope());
    }
}

using System.Text.Json;

namespace Sift.Tests.Reference;

/// <summary>
/// Checks the committed PyTorch reference fixtures (tests/data/reference, made by make_reference.py)
/// are internally consistent and agree with llama2.c's oracle, before any parity test relies on them;
/// and that the files written by transformers and PEFT themselves (transformers.safetensors, made by
/// make_transformers_reference.py; peft-*/, made by make_peft_reference.py) hold what the README says,
/// for the same inputs.
/// </summary>
public class ReferenceFixtureTests
{
    private static readonly string Root = Path.Combine(Paths.TestData, "reference");

    public static TheoryData<string> Variants => new()
    {
        "llama-gqa", "llama3-rope", "qwen2-bias", "smollm-tied", "mistral", "headdim", "llama-bf16",
    };

    private sealed record Dims(int D, int Inter, int Heads, int Kv, int HeadDim, int Vocab, int Layers,
        bool Tied, string Dtype, string ModelType, int Bos);

    /// <summary>Where a variant's config.json is: its folder, or the shared stories260K model for stories260k.</summary>
    private static string ModelDir(string variant) =>
        variant == "stories260k" ? Paths.Asset("models", "stories260K-hf") : Path.Combine(Root, variant);

    private static Dims ReadDims(string variant)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelDir(variant), "config.json")));
        var c = doc.RootElement;
        int d = c.GetProperty("hidden_size").GetInt32(), heads = c.GetProperty("num_attention_heads").GetInt32();
        var headDim = c.TryGetProperty("head_dim", out var hd) ? hd.GetInt32() : d / heads;
        var dtype = c.GetProperty("torch_dtype").GetString() switch
        {
            "float32" => "F32",
            "bfloat16" => "BF16",
            var other => throw new InvalidOperationException($"{variant}: torch_dtype {other}"),
        };
        return new Dims(d, c.GetProperty("intermediate_size").GetInt32(), heads,
            c.GetProperty("num_key_value_heads").GetInt32(), headDim, c.GetProperty("vocab_size").GetInt32(),
            c.GetProperty("num_hidden_layers").GetInt32(), c.GetProperty("tie_word_embeddings").GetBoolean(),
            dtype, c.GetProperty("model_type").GetString()!, c.GetProperty("bos_token_id").GetInt32());
    }

    private static Dictionary<string, long[]> ExpectedWeightShapes(Dims m)
    {
        var shapes = new Dictionary<string, long[]> { ["model.embed_tokens.weight"] = [m.Vocab, m.D], ["model.norm.weight"] = [m.D] };
        long q = m.Heads * m.HeadDim, kv = m.Kv * m.HeadDim;
        for (var i = 0; i < m.Layers; i++)
        {
            var p = $"model.layers.{i}.";
            shapes[p + "input_layernorm.weight"] = [m.D];
            shapes[p + "post_attention_layernorm.weight"] = [m.D];
            shapes[p + "self_attn.q_proj.weight"] = [q, m.D];
            shapes[p + "self_attn.k_proj.weight"] = [kv, m.D];
            shapes[p + "self_attn.v_proj.weight"] = [kv, m.D];
            shapes[p + "self_attn.o_proj.weight"] = [m.D, q];
            shapes[p + "mlp.gate_proj.weight"] = [m.Inter, m.D];
            shapes[p + "mlp.up_proj.weight"] = [m.Inter, m.D];
            shapes[p + "mlp.down_proj.weight"] = [m.D, m.Inter];
            if (m.ModelType == "qwen2")
            {
                shapes[p + "self_attn.q_proj.bias"] = [q];
                shapes[p + "self_attn.k_proj.bias"] = [kv];
                shapes[p + "self_attn.v_proj.bias"] = [kv];
            }
        }
        if (!m.Tied) shapes["lm_head.weight"] = [m.Vocab, m.D];
        return shapes;
    }

    private static int ElementSize(string dtype) => dtype switch { "F64" => 8, "F32" => 4, "BF16" => 2, "I64" => 8, _ => 0 };

    private static void AssertWellFormed(FixtureFile file)
    {
        Assert.Equal(0, file.HeaderLength % 8);
        long next = 0;
        foreach (var (name, e) in file.Tensors.OrderBy(t => t.Value.Start))
        {
            Assert.True(e.Start == next, $"{name} starts at {e.Start}, expected {next}");
            Assert.Equal(e.Shape.Aggregate(1L, (a, b) => a * b) * ElementSize(e.Dtype), e.End - e.Start);
            next = e.End;
        }
        Assert.Equal(file.DataLength, next);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ModelWeightsMatchTheirConfig(string variant)
    {
        var m = ReadDims(variant);
        var file = new FixtureFile(Path.Combine(Root, variant, "model.safetensors"));
        AssertWellFormed(file);
        var expected = ExpectedWeightShapes(m);
        Assert.Equal(expected.Keys.Order(), file.Tensors.Keys.Order());
        foreach (var (name, shape) in expected)
        {
            Assert.Equal(shape, file.Tensors[name].Shape);
            Assert.Equal(m.Dtype, file.Tensors[name].Dtype);
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ExpectedOutputsHaveTheDocumentedShapes(string variant)
    {
        var m = ReadDims(variant);
        var file = new FixtureFile(Path.Combine(Root, variant, "expected.safetensors"));
        AssertWellFormed(file);
        Assert.Equal([2L, 9], file.Tensors["input_ids"].Shape);
        Assert.Equal([2L, 9, m.Vocab], file.Tensors["logits"].Shape);
        Assert.Equal([2L, 9, m.D], file.Tensors["hidden"].Shape);
        Assert.Equal([1L, 12], file.Tensors["greedy_ids"].Shape);
        var ids = file.ReadInt64("input_ids");
        Assert.Equal(m.Bos, ids[0]);
        Assert.NotEqual(ids[..9], ids[9..]);
        Assert.All(ids.Concat(file.ReadInt64("greedy_ids")), id => Assert.InRange(id, 0, m.Vocab - 1));
        Assert.True(new FileInfo(Path.Combine(Root, variant, "model.safetensors")).Length < 150_000);
    }

    [Fact]
    public void Llama3InverseFrequenciesFollowTheThreeRegimes()
    {
        // Recomputed here, independently of the script, from the llama3 rule in transformers' modeling_rope_utils.
        var file = new FixtureFile(Path.Combine(Root, "llama3-rope", "expected.safetensors"));
        var stored = file.ReadFloat32("inv_freq");
        const int headDim = 16;
        const double theta = 500000, factor = 8, low = 1, high = 4, oldContext = 64;
        Assert.Equal(headDim / 2, stored.Length);
        var regimes = new HashSet<string>();
        for (var j = 0; j < stored.Length; j++)
        {
            var f = Math.Pow(theta, -2.0 * j / headDim);
            var wavelength = 2 * Math.PI / f;
            double scaled;
            if (wavelength < oldContext / high) { scaled = f; regimes.Add("kept"); }
            else if (wavelength > oldContext / low) { scaled = f / factor; regimes.Add("divided"); }
            else
            {
                var smooth = (oldContext / wavelength - low) / (high - low);
                scaled = (1 - smooth) * f / factor + smooth * f;
                regimes.Add("blended");
            }
            // The fixture stores PyTorch's fp32 value of a float64 formula: one fp32 rounding (u ≈ 6e-8 relative)
            // plus PyTorch's own fp32 arithmetic (a few roundings); 1e-6 relative ≈ 16u. A wrong regime changes
            // the value by the rope factor (≥ 2×).
            Assert.Equal(scaled, stored[j], scaled * 1e-6);
        }
        Assert.Equal(3, regimes.Count);
    }

    [Fact]
    public void Stories260kGreedyContinuationMatchesLlama2cOracle()
    {
        var file = new FixtureFile(Path.Combine(Root, "stories260k", "expected.safetensors"));
        Assert.Equal([1L, 403, 407, 261, 378], file.ReadInt64("input_ids"));
        Assert.Equal([1L, 5, 512], file.Tensors["logits"].Shape);
        Assert.Equal([1L, 5, 64], file.Tensors["hidden"].Shape);
        // run.c's greedy ids from BOS start with the prompt "Once upon a time" (403 407 261 378),
        // so its ids 5..36 are the 32-step continuation of the same prompt.
        var oracle = File.ReadAllText(Paths.Asset("reference", "llama2c", "oracle", "stories260K_greedy_ids_n64.txt"))
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
        Assert.Equal([403L, 407, 261, 378], oracle[..4]);
        Assert.Equal(oracle[4..36], file.ReadInt64("greedy_ids"));
    }

    public static TheoryData<string> TransformersVariants => new()
    {
        "llama-gqa", "llama3-rope", "qwen2-bias", "smollm-tied", "mistral", "headdim", "llama-bf16", "stories260k",
    };

    /// <summary>The variants whose transformers.safetensors has gradients and an AdamW step.</summary>
    private static readonly HashSet<string> TrainVariants = ["llama-gqa", "qwen2-bias", "smollm-tied", "stories260k"];

    /// <summary>Label positions make_transformers_reference.py masks with −100 (PROMPT_TOKENS).</summary>
    private const int PromptTokens = 3;

    [Theory]
    [MemberData(nameof(TransformersVariants))]
    public void TransformersOutputsHaveTheDocumentedTensorsForTheSameInputs(string variant)
    {
        var m = ReadDims(variant);
        var file = new FixtureFile(Path.Combine(Root, variant, "transformers.safetensors"));
        var own = new FixtureFile(Path.Combine(Root, variant, "expected.safetensors"));
        AssertWellFormed(file);
        var ids = own.ReadInt64("input_ids");
        long b = own.Tensors["input_ids"].Shape[0], t = own.Tensors["input_ids"].Shape[1];
        var documented = new Dictionary<string, (string Dtype, long[] Shape)>
        {
            ["input_ids"] = ("I64", [b, t]), ["labels"] = ("I64", [b, t]), ["logits"] = ("F32", [b, t, m.Vocab]),
            ["hidden"] = ("F32", [b, t, m.D]), ["loss"] = ("F64", [1]), ["hf_loss"] = ("F32", [1]),
            ["token_nll"] = ("F64", [b, t - 1]), ["greedy_ids"] = ("I64", own.Tensors["greedy_ids"].Shape),
        };
        // Every trainable parameter by HF name (a tied model has no lm_head), F32 like the parameter's shape.
        var parameters = ExpectedWeightShapes(m);
        if (TrainVariants.Contains(variant))
            foreach (var (name, shape) in parameters)
            {
                documented["grad." + name] = ("F32", shape);
                documented["adamw1." + name] = ("F32", shape);
            }
        Assert.Equal(documented.Keys.Order(), file.Tensors.Keys.Order());
        foreach (var (name, (dtype, shape)) in documented)
        {
            Assert.Equal(dtype, file.Tensors[name].Dtype);
            Assert.Equal(shape, file.Tensors[name].Shape);
        }

        // The same prompts, and transformers' generate reproduced the reference's greedy continuation.
        Assert.Equal(ids, file.ReadInt64("input_ids"));
        Assert.Equal(own.ReadInt64("greedy_ids"), file.ReadInt64("greedy_ids"));
        var labels = file.ReadInt64("labels");
        for (var i = 0; i < labels.Length; i++) Assert.Equal(i % t < PromptTokens ? -100 : ids[i], labels[i]);

        // token_nll[r, j] is the NLL of target labels[r, j + 1]: 0 where that is masked, positive elsewhere; the
        // loss is their mean over the unmasked targets (float64 sums of n terms in different orders: 2n·u₆₄ relative).
        var nll = file.ReadFloat64("token_nll");
        var trained = new List<double>();
        for (var r = 0; r < b; r++)
            for (var j = 0; j < t - 1; j++)
            {
                double x = nll[r * (t - 1) + j];
                if (labels[r * t + j + 1] == -100) Assert.Equal(0.0, x);
                else { Assert.True(x > 0, $"token_nll[{r}, {j}] = {x}"); trained.Add(x); }
            }
        Assert.Equal(b * (t - PromptTokens), trained.Count);
        double loss = file.ReadFloat64("loss")[0];
        Assert.Equal(trained.Average(), loss, 2 * trained.Count * Tolerances.Fp64 * trained.Average());
        // transformers' own loss helper upcasts the logits with .float(), rounding float64 to fp32 (u·|z| each), then
        // takes a V-term log-softmax and an n-term mean in fp32: within Fp32Sum(V + n) of max(1, max|z|). Measured
        // ≤ 1e-6 (bounds 1e-4 to 1.2e-3).
        double maxLogit = file.ReadFloat32("logits").Max(Math.Abs);
        Assert.Equal(loss, file.ReadFloat32("hf_loss")[0], Tolerances.Fp32Sum(m.Vocab + trained.Count) * Math.Max(1, maxLogit));
    }

    public static TheoryData<string, string> PeftCases => new() { { "peft-lora-gqa", "llama-gqa" }, { "peft-rslora-tied", "smollm-tied" } };

    [Theory]
    [MemberData(nameof(PeftCases))]
    public void PeftAdapterAndMergedWeightsFollowTheirConfig(string name, string fixture)
    {
        var m = ReadDims(fixture);
        var weights = ExpectedWeightShapes(m);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, name, "adapter", "adapter_config.json")));
        var config = doc.RootElement;
        int r = config.GetProperty("r").GetInt32();
        var targets = config.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()!).ToList();
        // PEFT's rule for a list: a module is targeted when its path equals an entry or ends with "." + entry.
        var adapted = weights.Keys.Where(k => k.EndsWith("_proj.weight")).Select(k => k[..^".weight".Length])
            .Where(path => targets.Any(t => path == t || path.EndsWith("." + t))).ToList();
        Assert.Equal(name == "peft-lora-gqa" ? 3 * m.Layers : 7 * m.Layers, adapted.Count);

        var adapter = new FixtureFile(Path.Combine(Root, name, "adapter", "adapter_model.safetensors"));
        AssertWellFormed(adapter);
        var factors = new Dictionary<string, long[]>();
        foreach (var module in adapted)
        {
            var (outFeatures, inFeatures) = (weights[module + ".weight"][0], weights[module + ".weight"][1]);
            factors[$"base_model.model.{module}.lora_A.weight"] = [r, inFeatures];
            factors[$"base_model.model.{module}.lora_B.weight"] = [outFeatures, r];
        }
        Assert.Equal(factors.Keys.Order(), adapter.Tensors.Keys.Order());
        foreach (var (tensor, shape) in factors)
        {
            Assert.Equal("F32", adapter.Tensors[tensor].Dtype);
            Assert.Equal(shape, adapter.Tensors[tensor].Shape);
        }

        // expected.safetensors: the base fixture's prompts, logits, and merge_and_unload's state dict, whose
        // lm_head.weight is the embedding itself when tied. Unadapted weights are the base ones bit for bit.
        var expected = new FixtureFile(Path.Combine(Root, name, "expected.safetensors"));
        var baseFile = new FixtureFile(Path.Combine(Root, fixture, "model.safetensors"));
        AssertWellFormed(expected);
        Assert.Equal(new FixtureFile(Path.Combine(Root, fixture, "expected.safetensors")).ReadInt64("input_ids"), expected.ReadInt64("input_ids"));
        Assert.Equal([2L, 9, m.Vocab], expected.Tensors["logits"].Shape);
        var merged = weights.Keys.Append("lm_head.weight").Distinct().ToList();
        Assert.Equal(merged.Select(w => "merged." + w).Append("input_ids").Append("logits").Order(), expected.Tensors.Keys.Order());
        foreach (var w in merged)
        {
            var source = m.Tied && w == "lm_head.weight" ? "model.embed_tokens.weight" : w;
            Assert.Equal(weights[source], expected.Tensors["merged." + w].Shape);
            if (!adapted.Contains(source[..^".weight".Length]))
                Assert.Equal(baseFile.ReadFloat32(source), expected.ReadFloat32("merged." + w));
        }
    }
}

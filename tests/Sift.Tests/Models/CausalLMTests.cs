using Sift.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Sift.Tests.Models;

public class CausalLMTests
{
    internal static ModelConfig TinyConfig(bool tied = false, int kvHeads = 2) =>
        ModelConfig.Create(vocabSize: 64, hiddenSize: 32, intermediateSize: 48, numLayers: 2, numHeads: 4, numKvHeads: kvHeads, tieWordEmbeddings: tied);

    internal static CausalLM TinyModel(bool tied = false, ScalarType dtype = ScalarType.Float32, long seed = 1)
    {
        var model = new CausalLM(TinyConfig(tied), dtype);
        model.InitializeWeights(seed, std: 0.2);
        return model;
    }

    [Fact]
    public void ParameterNamesFollowHuggingFace()
    {
        using var model = TinyModel();
        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        Assert.Contains("model.embed_tokens.weight", names);
        Assert.Contains("model.layers.1.self_attn.k_proj.weight", names);
        Assert.Contains("model.layers.0.mlp.down_proj.weight", names);
        Assert.Contains("model.layers.0.input_layernorm.weight", names);
        Assert.Contains("model.layers.0.post_attention_layernorm.weight", names);
        Assert.Contains("model.norm.weight", names);
        Assert.Contains("lm_head.weight", names);
        Assert.Equal(2 + 2 * 9 + 1, names.Count);
        Assert.Equal([16L, 32L], model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.k_proj.weight").parameter.shape);
    }

    [Fact]
    public void TiedModelHasNoSeparateHead()
    {
        using var model = TinyModel(tied: true);
        Assert.DoesNotContain(model.named_parameters(), p => p.name == "lm_head.weight");
        using var ids = tensor(new long[] { 1, 5, 7 }).unsqueeze(0);
        using var output = model.Forward(ids);
        using var expected = output.Hidden.matmul(model.named_parameters().Single(p => p.name == "model.embed_tokens.weight").parameter.t());
        // One 32-term product per logit, the same or in another order: Fp32Sum(hidden).
        Tolerances.AssertClose(expected, output.Logits!, Tolerances.Fp32Sum(32), "tied head");
    }

    // Cached, batched and packed forwards repeat the full forward's sums in another order (and pad or
    // mask extra terms to exact zeros): Tolerances.TinyForward of the logits' scale. A cache off by a
    // position or a mask letting a token see another example moves logits by O(0.1).
    [Fact]
    public void IncrementalDecodingWithCacheMatchesFullForward()
    {
        using var model = TinyModel();
        using var _ = no_grad();
        var ids = new long[] { 1, 9, 4, 33, 21, 7, 60, 2 };
        using var full = model.Forward(tensor(ids).unsqueeze(0));
        using var cache = new KvCache(model.Config, 1, 16, ScalarType.Float32);
        using var prefill = model.Forward(tensor(ids[..5]).unsqueeze(0), cache: cache);
        Tolerances.AssertClose(full.Logits![.., ..5], prefill.Logits!, Tolerances.TinyForward);
        using var chunk = model.Forward(tensor(ids[5..7]).unsqueeze(0), cache: cache);
        Tolerances.AssertClose(full.Logits![.., 5..7], chunk.Logits!, Tolerances.TinyForward);
        using var step = model.Forward(tensor(ids[7..]).unsqueeze(0), cache: cache);
        Tolerances.AssertClose(full.Logits![.., 7..], step.Logits!, Tolerances.TinyForward);
        Assert.Equal(8, cache.Length);
    }

    [Fact]
    public void PaddedRowsMatchUnpaddedSequences()
    {
        using var model = TinyModel();
        using var _ = no_grad();
        long[] a = [1, 9, 4, 33, 21], b = [1, 17, 3];
        using var aloneA = model.Forward(tensor(a).unsqueeze(0));
        using var aloneB = model.Forward(tensor(b).unsqueeze(0));
        // Row 0 unpadded, row 1 right-padded; then the same with row 1 left-padded.
        foreach (bool left in new[] { false, true })
        {
            long[] rowB = left ? [0, 0, .. b] : [.. b, 0, 0];
            long[] maskB = left ? [0, 0, 1, 1, 1] : [1, 1, 1, 0, 0];
            using var ids = tensor(a.Concat(rowB).ToArray()).reshape(2, 5);
            using var mask = tensor(new long[] { 1, 1, 1, 1, 1 }.Concat(maskB).ToArray()).reshape(2, 5);
            using var layout = AttentionLayout.Padded(mask);
            using var batched = model.Forward(ids, layout);
            Tolerances.AssertClose(aloneA.Logits![0], batched.Logits![0], Tolerances.TinyForward);
            var realB = left ? batched.Logits![1, 2..] : batched.Logits![1, ..3];
            Tolerances.AssertClose(aloneB.Logits![0], realB, Tolerances.TinyForward);
        }
    }

    [Fact]
    public void PackedRowMatchesEachExampleAlone()
    {
        using var model = TinyModel();
        using var _ = no_grad();
        long[] a = [1, 9, 4, 33], b = [1, 17, 3], c = [1, 50];
        using var ids = tensor(a.Concat(b).Concat(c).Append(0L).ToArray()).unsqueeze(0);
        using var segments = tensor(new long[] { 1, 1, 1, 1, 2, 2, 2, 3, 3, 0 }).unsqueeze(0);
        using var layout = AttentionLayout.Packed(segments);
        Assert.Equal(new long[] { 0, 1, 2, 3, 0, 1, 2, 0, 1, 0 }, layout.Positions[0].data<long>().ToArray());
        using var packed = model.Forward(ids, layout);
        int start = 0;
        foreach (var ex in new[] { a, b, c })
        {
            using var alone = model.Forward(tensor(ex).unsqueeze(0));
            Tolerances.AssertClose(alone.Logits![0], packed.Logits![0, start..(start + ex.Length)], Tolerances.TinyForward);
            start += ex.Length;
        }
    }

    [Fact]
    public void Bf16ModelTracksFp32Model()
    {
        using var model32 = TinyModel();
        using var model16 = new CausalLM(model32.Config, ScalarType.BFloat16);
        model16.LoadWeights(model32.ExportWeights(), "test");
        using var _ = no_grad();
        using var ids = tensor(new long[] { 1, 9, 4, 33, 21 }).unsqueeze(0);
        using var out32 = model32.Forward(ids);
        using var out16 = model16.Forward(ids);
        Assert.Equal(ScalarType.BFloat16, out16.Logits!.dtype);
        var diff = (out16.Logits.to_type(ScalarType.Float32) - out32.Logits!).abs().max().item<float>();
        var scale = out32.Logits!.abs().max().item<float>();
        Assert.True(diff < 0.05 * scale, $"bf16 differs from fp32 by {diff} (scale {scale})");
    }
}

using Sift.Models;
using Sift.Models.Safetensors;
using Sift.Generation;
using static TorchSharp.torch;

namespace Sift.Tests.Reference;

/// <summary>
/// Sift's forward pass against an independent float64 PyTorch reference (tests/data/reference,
/// made by make_reference.py) for what run.c does not cover: Qwen2 biases, tied embeddings, llama3
/// RoPE scaling, explicit head_dim, Mistral, bf16 weights; and stories260K's real weights.
/// TransformersParityTests compares the same models with transformers itself (also the loss,
/// gradients and an AdamW step), and PeftParityTests Sift's LoRA with PEFT's.
/// </summary>
public class ReferenceParityTests
{
    public static TheoryData<string> Fp32Variants => new() { "llama-gqa", "llama3-rope", "qwen2-bias", "smollm-tied", "mistral", "headdim" };

    private static string Dir(string variant) => Path.Combine(Paths.TestData, "reference", variant);

    /// <summary>
    /// The fixtures are PyTorch's fp32 forward on another machine (other kernels, other summation order), so
    /// the bound is Tolerances.Fp32Forward for the model and prompt length, of the logits' scale. A wrong
    /// RoPE variant, bias or head layout moves logits by O(0.1) of their scale or more.
    /// </summary>
    private static double Fp32(CausalLM model, Dictionary<string, Tensor> expected) =>
        Tolerances.Fp32Forward(model.Config, (int)expected["input_ids"].shape[^1]);

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var diff = (expected - actual.to_type(ScalarType.Float32)).abs().max().item<float>();
        var scale = Math.Max(1.0, expected.abs().max().item<float>());
        Assert.True(diff <= tolerance * scale, $"{what}: max |diff| {diff} exceeds {tolerance} × {scale}");
    }

    private static void CheckForward(CausalLM model, Dictionary<string, Tensor> expected, double tolerance, string variant)
    {
        using var _ = no_grad();
        using var output = model.Forward(expected["input_ids"]);
        AssertClose(expected["logits"], output.Logits!, tolerance, $"{variant} logits");
        AssertClose(expected["hidden"], output.Hidden, tolerance, $"{variant} hidden");
    }

    [Theory]
    [MemberData(nameof(Fp32Variants))]
    public void Fp32ForwardAndGreedyMatchTheReference(string variant)
    {
        using var model = ModelFolder.Load(Dir(variant));
        var expected = SafetensorsFile.Load(Path.Combine(Dir(variant), "expected.safetensors"));
        CheckForward(model, expected, Fp32(model, expected), variant);
        var prompt = expected["input_ids"][0].data<long>().Select(i => (int)i).ToArray();
        var greedy = expected["greedy_ids"][0].data<long>().Select(i => (int)i).ToArray();
        Assert.Equal(greedy, TextGenerator.Generate(model, prompt, greedy.Length, new SamplingOptions(), new HashSet<int>()).ToArray());
    }

    [Fact]
    public void Bf16WeightsMatchTheReferenceInFp32AndApproximatelyInBf16()
    {
        var expected = SafetensorsFile.Load(Path.Combine(Dir("llama-bf16"), "expected.safetensors"));
        using (var upcast = ModelFolder.Load(Dir("llama-bf16"), ScalarType.Float32))
            CheckForward(upcast, expected, Fp32(upcast, expected), "llama-bf16 as fp32");
        using var bf16 = ModelFolder.Load(Dir("llama-bf16"));
        Assert.Equal(ScalarType.BFloat16, bf16.DType);
        // bf16 activations: each rounding is 2⁻⁸ relative and the worst-case sum over the chain is vacuous;
        // 0.1 of the logits' scale (~25 roundings' worth) is an empirical bound, kept for the bf16 path.
        CheckForward(bf16, expected, 0.1, "llama-bf16 in bf16");
    }

    [Fact]
    public void Stories260KMatchesTheReferenceOnRealWeights()
    {
        using var model = ModelFolder.Load(Paths.Asset("models", "stories260K-hf"));
        var expected = SafetensorsFile.Load(Path.Combine(Dir("stories260k"), "expected.safetensors"));
        CheckForward(model, expected, Fp32(model, expected), "stories260K");
    }
}

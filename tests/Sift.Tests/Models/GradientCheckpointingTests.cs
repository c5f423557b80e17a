using Sift.Models;
using Sift.Training.Lora;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Tests.Models;

[Collection(GlobalRngCollection.Name)]
public class GradientCheckpointingTests
{
    private static readonly Tensor Ids = tensor(new long[] { 1, 9, 4, 33, 21, 7, 60, 2, 0, 0, 5, 17, 3, 44, 8, 12, 30, 2, 6, 9 }).reshape(2, 10);
    private static readonly Tensor Mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }).reshape(2, 10);

    /// <summary>One forward and backward of a next-token loss over padded rows; the loss, the gradients by name, and a draw from the global RNG afterwards.</summary>
    private static (float Loss, Dictionary<string, Tensor> Grads, float NextRandom) Step(CausalLM model, bool checkpointing, long seed)
    {
        model.GradientCheckpointing = checkpointing;
        model.zero_grad();
        manual_seed(seed);
        using var layout = AttentionLayout.Padded(Mask);
        using var output = model.Forward(Ids, layout);
        var logits = output.Logits![.., ..^1].reshape(-1, model.Config.VocabSize);
        var targets = Ids[.., 1..].reshape(-1).masked_fill(Mask[.., 1..].reshape(-1) == 0, -100);
        using var loss = F.cross_entropy(logits, targets, ignore_index: -100);
        loss.backward();
        var grads = model.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        return (loss.item<float>(), grads, rand(1).item<float>());
    }

    private static void AssertSame((float Loss, Dictionary<string, Tensor> Grads, float NextRandom) plain, (float Loss, Dictionary<string, Tensor> Grads, float NextRandom) recomputed)
    {
        Assert.Equal(plain.Loss, recomputed.Loss);
        Assert.Equal(plain.Grads.Keys.Order(), recomputed.Grads.Keys.Order());
        foreach (var (name, g) in plain.Grads)
        {
            Assert.True(g.abs().max().item<float>() > 0, $"{name} has no gradient signal");
            // The recomputed forward is bit-identical (the loss is compared exactly); backward may accumulate a
            // weight's gradient over the 20 tokens and ≤ 48-wide products in another order: Fp32Sum(20·48).
            // Recomputing with other dropout/RNG state or dropping a layer's gradient changes it by O(1).
            Tolerances.AssertClose(g, recomputed.Grads[name], Tolerances.Fp32Sum(20 * 48), name);
        }
        Assert.Equal(plain.NextRandom, recomputed.NextRandom);
    }

    [Fact]
    public void FullFineTuningGradientsAreUnchanged()
    {
        using var model = CausalLMTests.TinyModel();
        var plain = Step(model, checkpointing: false, seed: 11);
        var recomputed = Step(model, checkpointing: true, seed: 11);
        Assert.Equal(model.parameters().Count(), plain.Grads.Count);
        AssertSame(plain, recomputed);
    }

    [Fact]
    public void LoraGradientsAreUnchangedWithDropoutReplayed()
    {
        using var model = CausalLMTests.TinyModel();
        var lora = LoraAdapter.Apply(model, new LoraConfig { R = 4, Dropout = 0.3 }, seed: 2);
        using (no_grad())
            foreach (var (name, p) in lora.Parameters.Where(p => p.Name.Contains("lora_B")))
                p.normal_(0, 0.2, new Generator(5));
        model.train();
        var plain = Step(model, checkpointing: false, seed: 11);
        var recomputed = Step(model, checkpointing: true, seed: 11);
        // Only A and B: the frozen embeddings send no gradient into the first layer's input.
        Assert.Equal(lora.Parameters.Count, plain.Grads.Count);
        AssertSame(plain, recomputed);
        var other = Step(model, checkpointing: true, seed: 12);
        Assert.NotEqual(plain.Loss, other.Loss);
    }

    [Fact]
    public void InferenceIgnoresTheSetting()
    {
        using var model = CausalLMTests.TinyModel();
        using var _ = no_grad();
        using var plain = model.Forward(Ids);
        model.GradientCheckpointing = true;
        using var checkpointed = model.Forward(Ids);
        Assert.True(plain.Logits!.eq(checkpointed.Logits!).all().item<bool>());
        Assert.False(checkpointed.Logits!.requires_grad);
    }
}

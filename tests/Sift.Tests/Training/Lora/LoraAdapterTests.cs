using Sift.Models;
using Sift.Training.Lora;
using TorchSharp.Modules;
using static Sift.Tests.Training.Lora.LoraTestModels;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Tests.Training.Lora;

[Collection(GlobalRngCollection.Name)]
public class LoraAdapterTests
{
    [Fact]
    public void LinearLayerMatchesHandComputedValues()
    {
        // W = [[1, 2], [3, 4]], b = 0, A = [[1, -1]], B = [[2], [0.5]], alpha 2, r 1 → scaling 2.
        // x = [2, 1]: W x = [4, 10]; A x = [1]; B A x = [2, 0.5]; y = [4 + 4, 10 + 1] = [8, 11].
        using var linear = nn.Linear(2, 2, hasBias: false);
        using var lora = new LoraLinear(linear, r: 1, scaling: 2, dropout: 0, new Generator(0));
        using (no_grad())
        {
            linear.weight!.copy_(tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2));
            lora.A.copy_(tensor(new float[] { 1, -1 }).reshape(1, 2));
            lora.B.copy_(tensor(new float[] { 2, 0.5f }).reshape(2, 1));
        }
        using var y = lora.forward(tensor(new float[] { 2, 1 }));
        Assert.Equal([8f, 11f], y.data<float>().ToArray());
        // Merged: W + 2 · B A = [[1 + 4, 2 − 4], [3 + 1, 4 − 1]] = [[5, −2], [4, 3]].
        using var delta = lora.DeltaWeight();
        using var merged = linear.weight!.detach() + delta;
        Assert.Equal([5f, -2f, 4f, 3f], merged.data<float>().ToArray());
    }

    [Fact]
    public void AStartsKaimingUniformAndBAtZero()
    {
        using var model = Tiny();
        var lora = LoraAdapter.Apply(model, new LoraConfig { R = 4 }, seed: 7);
        foreach (var (name, p) in lora.Parameters)
        {
            if (name.Contains(".lora_B.")) Assert.Equal(0f, p.abs().max().item<float>());
            else
            {
                // kaiming_uniform_(a=√5): bound = √3 · √(2 / (1 + 5)) / √fan_in = 1 / √fan_in.
                double bound = 1 / Math.Sqrt(p.shape[1]);
                double max = p.abs().max().item<float>();
                Assert.InRange(max, 0.5 * bound, bound);
            }
        }
        using var again = Tiny();
        var same = LoraAdapter.Apply(again, new LoraConfig { R = 4 }, seed: 7);
        using var other = Tiny();
        var different = LoraAdapter.Apply(other, new LoraConfig { R = 4 }, seed: 8);
        Assert.True(lora.Parameters[0].Parameter.eq(same.Parameters[0].Parameter).all().item<bool>());
        Assert.False(lora.Parameters[0].Parameter.eq(different.Parameters[0].Parameter).all().item<bool>());
    }

    [Fact]
    public void ParametersCarryPeftNamesAndShapes()
    {
        using var model = Tiny();
        var lora = LoraAdapter.Apply(model, new LoraConfig { R = 4, TargetModules = ["q_proj", "v_proj"] }, seed: 0);
        Assert.Equal(
        [
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
            "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
            "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
            "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight",
        ], lora.Parameters.Select(p => p.Name));
        // hidden 32, 4 heads × 8 = 32 query features, 2 KV heads × 8 = 16 value features.
        Assert.Equal([4L, 32L], lora.Parameters[2].Parameter.shape);
        Assert.Equal([16L, 4L], lora.Parameters[3].Parameter.shape);
        // In memory the wrapped layer keeps PEFT's module names too.
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("model.layers.0.self_attn.q_proj.base_layer.weight", names);
        Assert.Contains("model.layers.0.self_attn.q_proj.lora_A.weight", names);
        Assert.Contains("model.layers.0.self_attn.k_proj.weight", names);
    }

    [Fact]
    public void AllLinearAdaptsEveryProjectionButNotTheHead()
    {
        using var model = Tiny();
        var lora = LoraAdapter.Apply(model, new LoraConfig(), seed: 0);
        Assert.Equal(2 * 7, lora.AdaptedModules.Count());
        Assert.DoesNotContain(lora.AdaptedModules, m => m.Contains("lm_head"));
    }

    [Fact]
    public void ZeroBGivesExactlyTheBaseLogits()
    {
        using var model = Tiny();
        using var expected = Logits(model);
        LoraAdapter.Apply(model, new LoraConfig { R = 4, Alpha = 32, Dropout = 0.2 }, seed: 3);
        model.eval();
        using var adapted = Logits(model);
        Assert.True(adapted.eq(expected).all().item<bool>());
        model.train();
        using var training = Logits(model);
        Assert.True(training.eq(expected).all().item<bool>());
    }

    [Fact]
    public void MergedModelEqualsTheAdaptedModel()
    {
        using var model = Tiny();
        var lora = LoraAdapter.Apply(model, new LoraConfig { R = 4, Alpha = 8 }, seed: 3);
        RandomizeB(lora, seed: 5);
        model.eval();
        using var adapted = Logits(model);
        using var baseModel = Tiny();
        using var baseLogits = Logits(baseModel);
        Assert.True((adapted - baseLogits).abs().max().item<float>() > 1e-2, "the random B should change the output");

        var q = model.Projections().First().Module;
        var baseWeight = ((LoraLinear)q).BaseLayer.weight!.detach().clone();
        using var delta = ((LoraLinear)q).DeltaWeight();
        lora.Merge();
        using var merged = Logits(model);
        // Same products in another order plus one rounding of each merged weight: Tolerances.Fp32Forward.
        Tolerances.AssertClose(adapted, merged, Tolerances.Fp32Forward(model.Config, (int)merged.shape[^2]), "merged logits");
        // W' = W + (alpha / r) B A, and the model is plain again.
        var mergedWeight = model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter;
        // One fp32 addition each way: at most one rounding apart, u·|w| (|w| < 1.6 here, so under 1e-7).
        Assert.True(mergedWeight.allclose(baseWeight + delta, rtol: 0, atol: 1e-7));
        Assert.Equal(baseModel.named_parameters().Select(p => p.name), model.named_parameters().Select(p => p.name));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.Throws<InvalidOperationException>(() => lora.ExportWeights());
    }

    [Fact]
    public void OnlyAAndBTrain()
    {
        using var model = Tiny();
        var lora = LoraAdapter.Apply(model, new LoraConfig { R = 4, Dropout = 0.1 }, seed: 3);
        RandomizeB(lora, seed: 5);
        var trainable = model.parameters().Where(p => p.requires_grad).Select(p => p.Handle).ToHashSet();
        Assert.Equal(lora.Parameters.Select(p => p.Parameter.Handle).ToHashSet(), trainable);

        model.train();
        using var output = model.Forward(Ids);
        using var loss = F.cross_entropy(output.Logits!.reshape(-1, model.Config.VocabSize), Ids.reshape(-1));
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.Contains(".lora_")) Assert.True(p.grad is not null && p.grad.abs().max().item<float>() > 0, name);
            else Assert.Null(p.grad);
        }
    }

    [Fact]
    public void DropoutActsOnlyInTraining()
    {
        using var model = Tiny();
        var lora = LoraAdapter.Apply(model, new LoraConfig { R = 4, Dropout = 0.5 }, seed: 3);
        RandomizeB(lora, seed: 5);
        using var reference = Tiny();
        var noDropout = LoraAdapter.Apply(reference, new LoraConfig { R = 4 }, seed: 3);
        RandomizeB(noDropout, seed: 5);

        model.eval();
        using var eval1 = Logits(model);
        using var eval2 = Logits(model);
        using var expected = Logits(reference);
        Assert.True(eval1.eq(eval2).all().item<bool>());
        Assert.True(eval1.eq(expected).all().item<bool>());
        model.train();
        using var training = Logits(model);
        Assert.True((training - expected).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void RsLoraScalesByRootOfRank()
    {
        Assert.Equal(16.0 / 4, new LoraConfig { R = 4, Alpha = 16 }.Scaling);
        Assert.Equal(16.0 / 2, new LoraConfig { R = 4, Alpha = 16, UseRslora = true }.Scaling);
    }

    [Fact]
    public void RemovingGivesBackTheBaseModel()
    {
        using var model = Tiny();
        using var expected = Logits(model);
        var lora = LoraAdapter.Apply(model, new LoraConfig { R = 4 }, seed: 3);
        RandomizeB(lora, seed: 5);
        lora.Remove();
        using var after = Logits(model);
        Assert.True(after.eq(expected).all().item<bool>());
        Assert.All(model.Projections(), s => Assert.IsType<Linear>(s.Module));
    }

    [Fact]
    public void AnAdaptedModelIsNotSavedAsAPlainFolder()
    {
        using var model = Tiny();
        LoraAdapter.Apply(model, new LoraConfig { R = 4, TargetModules = ["v_proj"] }, seed: 3);
        var dir = Paths.NewTempDir("sift-lora");
        var e = Assert.Throws<SiftException>(() => ModelFolder.Save(model, dir));
        Assert.Contains("'model.layers.0.self_attn.v_proj' carries an adapter", e.Message);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void ApplyingTwiceIsRefused()
    {
        using var model = Tiny();
        LoraAdapter.Apply(model, new LoraConfig { R = 4 }, seed: 3);
        var e = Assert.Throws<SiftException>(() => LoraAdapter.Apply(model, new LoraConfig { R = 4 }, seed: 3));
        Assert.Contains("already adapted", e.Message);
    }
}

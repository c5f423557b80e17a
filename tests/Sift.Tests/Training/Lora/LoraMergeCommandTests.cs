using Sift.Models;
using Sift.Training.Lora;
using static Sift.Tests.Training.Lora.LoraTestModels;
using static TorchSharp.torch;

namespace Sift.Tests.Training.Lora;

public class LoraMergeCommandTests
{
    private static readonly string Stories260K = Paths.Asset("models", "stories260K-hf");

    /// <summary>An adapter on the real stories260K model with random B, saved; and the adapted model's logits.</summary>
    private static (string Dir, Tensor Logits) Adapter(string? baseModel)
    {
        var dir = Paths.NewTempDir("sift-lora");
        using var model = ModelFolder.Load(Stories260K);
        var lora = LoraAdapter.Apply(model, new LoraConfig { R = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "down_proj"] }, seed: 1);
        RandomizeB(lora, seed: 2, std: 0.1);
        model.eval();
        AdapterFolder.Save(lora, dir, baseModel);
        return (dir, Logits(model));
    }

    [Fact]
    public void MergeWritesANormalModelFolderThatMatchesTheAdapter()
    {
        var (adapter, expected) = Adapter(Stories260K);
        var outDir = Path.Combine(Paths.NewTempDir("sift-merged"), "merged");
        var (code, _, stderr) = CliRunner.Run("lora", "merge", "--model", Stories260K, "--adapter", adapter, "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("merged 15 projections", stderr);

        using var merged = ModelFolder.Load(outDir);
        using var logits = Logits(merged);
        // x·W + s·(x·A)·B vs x·(W + s·B·A): the same products summed in another order, plus one rounding of
        // each merged weight: Tolerances.Fp32Forward of the logits' scale. A wrong scale s or a transposed
        // B·A changes the logits by the adapter's own size (> 1e-3, asserted below).
        Tolerances.AssertClose(expected, logits, Tolerances.Fp32Forward(merged.Config, (int)logits.shape[^2]), "merged logits");
        using var baseModel = ModelFolder.Load(Stories260K);
        using var baseLogits = Logits(baseModel);
        Assert.True((logits - baseLogits).abs().max().item<float>() > 1e-3, "the adapter should change the model");
        Assert.True(File.Exists(Path.Combine(outDir, "tokenizer.model")));
        Assert.DoesNotContain(merged.named_parameters(), p => p.name.Contains("lora") || p.name.Contains("base_layer"));
    }

    [Fact]
    public void BaseModelDefaultsToTheOneTheAdapterNames()
    {
        var (adapter, expected) = Adapter(Stories260K);
        var outDir = Paths.NewTempDir("sift-merged");
        var (code, _, stderr) = CliRunner.Run("lora", "merge", "--adapter", adapter, "--out", outDir);
        Assert.True(code == 0, stderr);
        using var merged = ModelFolder.Load(outDir);
        using var logits = Logits(merged);
        Tolerances.AssertClose(expected, logits, Tolerances.Fp32Forward(merged.Config, (int)logits.shape[^2]), "merged logits");
    }

    [Fact]
    public void ErrorsAreOneLine()
    {
        var (adapter, _) = Adapter("org/not-here");
        var outDir = Paths.NewTempDir("sift-merged");
        var (code, _, stderr) = CliRunner.Run("lora", "merge", "--adapter", adapter, "--out", outDir);
        Assert.Equal(1, code);
        Assert.Equal($"error: give --model BASE: the adapter in '{adapter}' does not name a base model folder that exists here", stderr.Trim());

        (code, _, stderr) = CliRunner.Run("lora", "merge", "--model", Stories260K, "--adapter", Path.Combine(outDir, "missing"), "--out", outDir);
        Assert.Equal(1, code);
        Assert.StartsWith("error: adapter folder", stderr);
        Assert.Single(stderr.Trim().Split('\n'));

        // An adapter made for another model: the tiny test model's shapes do not fit stories260K.
        var tinyAdapter = Paths.NewTempDir("sift-lora");
        using (var tiny = Tiny())
            AdapterFolder.Save(LoraAdapter.Apply(tiny, new LoraConfig { R = 4 }, seed: 0), tinyAdapter);
        (code, _, stderr) = CliRunner.Run("lora", "merge", "--model", Stories260K, "--adapter", tinyAdapter, "--out", outDir);
        Assert.Equal(1, code);
        Assert.Contains("adapter_model.safetensors", stderr);
        Assert.Contains("the adapter belongs to a different base model", stderr);
    }
}

using System.Text.Json.Nodes;
using Sift.Models;
using Sift.Models.Safetensors;
using Sift.Training.Lora;
using static TorchSharp.torch;

namespace Sift.Tests.Reference;

/// <summary>
/// Sift's LoRA against PEFT 0.21 itself: tests/data/reference/peft-*/adapter holds what PEFT's save_pretrained
/// wrote (its adapter_config.json with every key PEFT 0.21 has, target_modules as PEFT resolved them, and
/// adapter_model.safetensors), and expected.safetensors the float64 logits with the adapter applied and every
/// weight of merge_and_unload's model (make_peft_reference.py). lora_B holds seeded random values, so the adapters
/// move the logits by up to ~8. peft-lora-gqa: r 4, alpha 8 on q_proj, v_proj, down_proj of llama-gqa;
/// peft-rslora-tied: r 2, alpha 3, rsLoRA (scale 3/√2) on all linear layers of smollm-tied (tied embeddings),
/// saved as a list of full module paths.
/// </summary>
public class PeftParityTests
{
    public static TheoryData<string, string> Cases => new() { { "peft-lora-gqa", "llama-gqa" }, { "peft-rslora-tied", "smollm-tied" } };

    private static string Dir(string name) => Path.Combine(Paths.TestData, "reference", name);

    private static string AdapterDir(string name) => Path.Combine(Dir(name), "adapter");

    private static Dictionary<string, Tensor> Expected(string name) => SafetensorsFile.Load(Path.Combine(Dir(name), "expected.safetensors"));

    /// <summary>
    /// PEFT's config as written loads, with PEFT's meaning of each setting, and adapts exactly the modules whose A and
    /// B the file holds. The logits then match PEFT's float64 ones within Tolerances.Fp32LoraForward of their scale
    /// (the fp32 forward bound with the adapter's r + 2 extra terms per projection on the chain); PEFT computed them
    /// from the same fp32 values of A and B that it saved. Measured: 3.6e-6 and 4.3e-6 (bounds 7e-4 and 9e-4). A
    /// wrong scale (alpha/r for rsLoRA's alpha/√r is 29% off here), a transposed or missing factor moves them by O(1).
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void PeftAdapterLoadsAndGivesPeftsLogits(string name, string fixture)
    {
        using var scope = NewDisposeScope();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AdapterDir(name), "adapter_config.json")))!.AsObject();
        var saved = SafetensorsFile.Load(Path.Combine(AdapterDir(name), AdapterFolder.WeightsFile));
        var expected = Expected(name);
        using var model = ModelFolder.Load(Dir(fixture));
        var lora = AdapterFolder.Load(model, AdapterDir(name));

        Assert.Equal((int)json["r"]!, lora.Config.R);
        Assert.Equal((double)json["lora_alpha"]!, lora.Config.Alpha);
        Assert.Equal((bool)json["use_rslora"]!, lora.Config.UseRslora);
        double r = lora.Config.R, alpha = lora.Config.Alpha;
        Assert.Equal(lora.Config.UseRslora ? alpha / Math.Sqrt(r) : alpha / r, lora.Config.Scaling);
        var fileModules = saved.Keys.Select(k => k[LoraAdapter.PeftPrefix.Length..k.IndexOf(".lora_", StringComparison.Ordinal)]).ToHashSet();
        Assert.Equal(fileModules.Order(), lora.AdaptedModules.Order());

        model.eval();
        using var _ = no_grad();
        using var output = model.Forward(expected["input_ids"]);
        var bound = Tolerances.Fp32LoraForward(model.Config, (int)expected["input_ids"].shape[1], lora.Config.R);
        Tolerances.AssertClose(expected["logits"], output.Logits!, bound, $"{name} logits");

        using var plain = ModelFolder.Load(Dir(fixture));
        using var baseOutput = plain.Forward(expected["input_ids"]);
        Assert.True((expected["logits"] - baseOutput.Logits!).abs().max().item<float>() > 1, "the adapter should move the logits by O(1)");
    }

    /// <summary>
    /// `sift lora merge` (AdapterFolder.Load, LoraAdapter.Merge, ModelFolder.Save) and the merged weights the LoRA
    /// trainer exports (LoraAdapter.MergedWeights) against merge_and_unload's. Unadapted weights are copied: equal
    /// bit for bit. An adapted W' = W + s·B·A: Sift's fp32 B·A is an r-term sum (r·u of Σ|b||a|), then the scaling and
    /// the addition (2u), and PEFT's float64 result is rounded once to fp32 (u), so the bound is (r + 3)·u times
    /// max(1, max(|W| + s·|B|·|A|)), the terms' magnitude. Measured: ≤ 1.2e-7 (one or two fp32 ulps; bound ≥ 3e-7). A tied model has
    /// no lm_head of its own, in Sift as in merge_and_unload's state dict, whose lm_head.weight is the embedding.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void MergeMatchesPeftsMergeAndUnload(string name, string fixture)
    {
        using var scope = NewDisposeScope();
        var expected = Expected(name);
        var baseWeights = SafetensorsFile.Load(Path.Combine(Dir(fixture), "model.safetensors"));
        var factors = SafetensorsFile.Load(Path.Combine(AdapterDir(name), AdapterFolder.WeightsFile));

        var outDir = Path.Combine(Paths.NewTempDir("sift-peft-merge"), "merged");
        var (code, _, stderr) = CliRunner.Run("lora", "merge", "--model", Dir(fixture), "--adapter", AdapterDir(name), "--out", outDir);
        Assert.True(code == 0, stderr);
        var merged = SafetensorsCheckpoint.Load(outDir);

        Dictionary<string, Tensor> exported;
        LoraConfig config;
        using (var model = ModelFolder.Load(Dir(fixture)))
        {
            var lora = AdapterFolder.Load(model, AdapterDir(name));
            config = lora.Config;
            exported = lora.MergedWeights(ScalarType.Float32);
        }

        bool tied = !baseWeights.ContainsKey("lm_head.weight");
        var names = expected.Keys.Where(k => k.StartsWith("merged.")).Select(k => k["merged.".Length..]).ToList();
        Assert.Equal(names.Where(n => !(tied && n == "lm_head.weight")).Order(), merged.Keys.Order());
        Assert.Equal(merged.Keys.Order(), exported.Keys.Order());
        if (tied) Assert.True(expected["merged.lm_head.weight"].Same(expected["merged.model.embed_tokens.weight"]), "merge_and_unload's lm_head is the embedding");

        int adapted = 0;
        foreach (var weight in merged.Keys)
        {
            var module = weight[..^".weight".Length];
            var reference = expected["merged." + weight];
            if (!factors.TryGetValue($"{LoraAdapter.PeftPrefix}{module}.lora_A.weight", out var a))
            {
                Assert.True(reference.Same(baseWeights[weight]), $"{weight} is not adapted and stays the base weight");
                Assert.True(merged[weight].Same(reference), $"{name}: merged {weight}");
                Assert.True(exported[weight].Same(reference), $"{name}: exported {weight}");
                continue;
            }
            adapted++;
            var b = factors[$"{LoraAdapter.PeftPrefix}{module}.lora_B.weight"];
            var magnitude = (baseWeights[weight].abs() + config.Scaling * b.abs().matmul(a.abs())).max().item<float>();
            double bound = (config.R + 3) * Tolerances.Fp32 * Math.Max(1, magnitude) / Math.Max(1, reference.abs().max().item<float>());
            Tolerances.AssertClose(reference, merged[weight], bound, $"{name}: merged {weight}");
            Tolerances.AssertClose(reference, exported[weight], bound, $"{name}: exported {weight}");
        }
        Assert.Equal(factors.Count / 2, adapted);
    }
}

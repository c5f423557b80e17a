using System.Text.Json.Nodes;
using Sift.Models.Safetensors;
using Sift.Training.Lora;
using static Sift.Tests.Training.Lora.LoraTestModels;
using static TorchSharp.torch;

namespace Sift.Tests.Training.Lora;

public class AdapterFolderTests
{
    private static string SavedAdapter(LoraConfig config)
    {
        var dir = Paths.NewTempDir("sift-lora");
        using var model = Tiny();
        var lora = LoraAdapter.Apply(model, config, seed: 3);
        RandomizeB(lora, seed: 5);
        AdapterFolder.Save(lora, dir, "org/base");
        return dir;
    }

    [Fact]
    public void SaveThenLoadIsExact()
    {
        var config = new LoraConfig { R = 4, Alpha = 8, Dropout = 0.05, TargetModules = ["q_proj", "v_proj", "down_proj"] };
        var dir = Paths.NewTempDir("sift-lora");
        using var model = Tiny();
        var saved = LoraAdapter.Apply(model, config, seed: 3);
        RandomizeB(saved, seed: 5);
        model.eval();
        using var expected = Logits(model);
        AdapterFolder.Save(saved, dir, "org/base");

        using var fresh = Tiny();
        var loaded = AdapterFolder.Load(fresh, dir);
        fresh.eval();
        var c = loaded.Config;
        Assert.Equal((config.R, config.Alpha, config.Dropout, config.Bias, config.UseRslora), (c.R, c.Alpha, c.Dropout, c.Bias, c.UseRslora));
        Assert.Equal(config.TargetModules, c.TargetModules);
        Assert.Equal(saved.Parameters.Select(p => p.Name), loaded.Parameters.Select(p => p.Name));
        foreach (var ((_, a), (_, b)) in saved.Parameters.Zip(loaded.Parameters))
            Assert.True(a.eq(b).all().item<bool>());
        using var logits = Logits(fresh);
        Assert.True(logits.eq(expected).all().item<bool>());
        Assert.All(loaded.Parameters, p => Assert.True(p.Parameter.requires_grad));
    }

    [Fact]
    public void FilesFollowThePeftLayout()
    {
        var dir = SavedAdapter(new LoraConfig { R = 4, Alpha = 8, Dropout = 0.1 });
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!.AsObject();
        Assert.Equal("LORA", (string)json["peft_type"]!);
        Assert.Equal("CAUSAL_LM", (string)json["task_type"]!);
        Assert.Equal(4, (int)json["r"]!);
        Assert.Equal(8, (int)json["lora_alpha"]!);
        Assert.Equal(0.1, (double)json["lora_dropout"]!);
        Assert.Equal("none", (string)json["bias"]!);
        Assert.Equal("org/base", (string)json["base_model_name_or_path"]!);
        Assert.False((bool)json["fan_in_fan_out"]!);
        Assert.True((bool)json["inference_mode"]!);
        Assert.False((bool)json["use_rslora"]!);
        // all-linear is written resolved, as PEFT does, so older readers need not know the shorthand.
        Assert.Equal(["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"], json["target_modules"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(json.Select(kv => kv.Key).Order(StringComparer.Ordinal), json.Select(kv => kv.Key));

        var header = SafetensorsHeader.Read(Path.Combine(dir, "adapter_model.safetensors"));
        Assert.Equal(2 * 7 * 2, header.Tensors.Count);
        var a = header.Tensors["base_model.model.model.layers.1.mlp.up_proj.lora_A.weight"];
        Assert.Equal("F32", a.Dtype);
        Assert.Equal(new long[] { 4, 32 }, a.Shape);
        var b = header.Tensors["base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight"];
        Assert.Equal(new long[] { 16, 4 }, b.Shape);
        Assert.DoesNotContain(header.Tensors.Keys, k => k.Contains("default") || k.Contains("base_layer"));
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        using var model = Tiny();
        var empty = Paths.NewTempDir("sift-lora");
        var e = Assert.Throws<SiftException>(() => AdapterFolder.Load(model, empty));
        Assert.Contains("adapter_config.json", e.Message);
        Assert.Contains("not found", e.Message);

        var dir = SavedAdapter(new LoraConfig { R = 4 });
        File.Move(Path.Combine(dir, "adapter_model.safetensors"), Path.Combine(dir, "adapter_model.bin"));
        e = Assert.Throws<SiftException>(() => AdapterFolder.Load(model, dir));
        Assert.Contains("adapter_model.bin (a pickle)", e.Message);

        e = Assert.Throws<SiftException>(() => AdapterFolder.Load(model, Path.Combine(empty, "nope")));
        Assert.Contains("does not exist", e.Message);
    }

    [Theory]
    [InlineData("peft_type", "\"IA3\"", "peft_type 'IA3' is not supported")]
    [InlineData("use_dora", "true", "'use_dora' is set to true")]
    [InlineData("rank_pattern", "{\"q_proj\": 16}", "'rank_pattern' is set")]
    [InlineData("modules_to_save", "[\"lm_head\"]", "'modules_to_save' is set")]
    [InlineData("fan_in_fan_out", "true", "fan_in_fan_out is true")]
    // LoRA variants PEFT 0.21 writes as null by default; set, each computes something other than W + s·B·A.
    [InlineData("use_bdlora", "{\"target_modules_bd_a\": [\"q_proj\"], \"nblocks\": 2}", "'use_bdlora' is set")]
    [InlineData("arrow_config", "{\"top_k\": 3}", "'arrow_config' is set")]
    [InlineData("kasa_config", "{\"beta\": 0.0001, \"gamma\": 0.001}", "'kasa_config' is set")]
    [InlineData("monteclora_config", "{\"num_samples\": 8}", "'monteclora_config' is set")]
    [InlineData("r", "0", "'r' must be a positive integer")]
    [InlineData("lora_alpha", "\"big\"", "'lora_alpha' must be a number")]
    [InlineData("target_modules", "[\"lm_head\"]", "'lm_head' is not a projection")]
    [InlineData("task_type", "\"SEQ_CLS\"", "task_type 'SEQ_CLS' is not supported")]
    public void UnsupportedOrInvalidConfigIsRefused(string key, string value, string message)
    {
        var dir = SavedAdapter(new LoraConfig { R = 4 });
        var path = Path.Combine(dir, "adapter_config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json[key] = JsonNode.Parse(value);
        File.WriteAllText(path, json.ToJsonString());
        using var model = Tiny();
        var e = Assert.Throws<SiftException>(() => AdapterFolder.Load(model, dir));
        Assert.Contains(path, e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void BrokenJsonIsReported()
    {
        var dir = SavedAdapter(new LoraConfig { R = 4 });
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), "{\"r\": 4,");
        using var model = Tiny();
        var e = Assert.Throws<SiftException>(() => AdapterFolder.Load(model, dir));
        Assert.Contains("is not valid JSON", e.Message);
    }

    [Fact]
    public void WeightsThatDoNotFitAreNamedWithTheFile()
    {
        var dir = SavedAdapter(new LoraConfig { R = 4 });
        var weightsPath = Path.Combine(dir, "adapter_model.safetensors");
        var weights = SafetensorsFile.Load(weightsPath);
        const string name = "base_model.model.model.layers.1.mlp.gate_proj.lora_B.weight";

        void Expect(Dictionary<string, Tensor> tensors, string message)
        {
            SafetensorsFile.Save(weightsPath, tensors);
            using var model = Tiny();
            var e = Assert.Throws<SiftException>(() => AdapterFolder.Load(model, dir));
            Assert.Contains(weightsPath, e.Message);
            Assert.Contains(message, e.Message);
            // A failed load leaves the base model as it was.
            Assert.All(model.Projections(), s => Assert.IsType<TorchSharp.Modules.Linear>(s.Module));
            Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        }

        Expect(weights.Where(kv => kv.Key != name).ToDictionary(), $"tensor '{name}' is missing");
        Expect(new Dictionary<string, Tensor>(weights) { [name] = zeros(48, 8) }, $"tensor '{name}' has shape [48, 8] but r=4 on this base model needs [48, 4]");
        Expect(new Dictionary<string, Tensor>(weights) { ["base_model.model.lm_head.lora_A.weight"] = zeros(4, 32) }, "tensor 'base_model.model.lm_head.lora_A.weight' is not an A or B matrix");
    }

    [Fact]
    public void LoadConvertsStoredDtype()
    {
        var dir = SavedAdapter(new LoraConfig { R = 4 });
        var weightsPath = Path.Combine(dir, "adapter_model.safetensors");
        var fp32 = SafetensorsFile.Load(weightsPath);
        SafetensorsFile.Save(weightsPath, fp32.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.BFloat16)));
        using var model = Tiny();
        var lora = AdapterFolder.Load(model, dir);
        foreach (var (name, p) in lora.Parameters)
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.True(p.eq(fp32[name].to_type(ScalarType.BFloat16).to_type(ScalarType.Float32)).all().item<bool>(), name);
        }
    }
}

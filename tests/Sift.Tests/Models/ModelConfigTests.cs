using System.Text.Json.Nodes;
using Sift.Models;

namespace Sift.Tests.Models;

public class ModelConfigTests
{
    private static JsonObject Llama() => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["hidden_size"] = 64, ["intermediate_size"] = 172, ["num_hidden_layers"] = 5,
        ["num_attention_heads"] = 8, ["num_key_value_heads"] = 4, ["vocab_size"] = 512,
        ["rms_norm_eps"] = 1e-5, ["max_position_embeddings"] = 512,
    };

    [Fact]
    public void ReadsTheSharedStories260KConfig()
    {
        var c = ModelConfig.Load(Paths.Asset("models", "stories260K-hf"));
        Assert.Equal("LlamaForCausalLM", c.Architecture);
        Assert.Equal((64, 172, 5, 8, 4, 8, 512), (c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.HeadDim, c.VocabSize));
        Assert.Equal(1e-5, c.RmsNormEps);
        Assert.True(c.TieWordEmbeddings);
    }

    [Fact]
    public void Qwen2HasQkvBiasButNoOutputBias()
    {
        var json = Llama();
        json["architectures"] = new JsonArray("Qwen2ForCausalLM");
        var c = ModelConfig.FromJson(json);
        Assert.True(c.QkvBias);
        Assert.False(c.OutputBias);
    }

    [Fact]
    public void LlamaAttentionBiasCoversAllFourProjections()
    {
        var json = Llama();
        json["attention_bias"] = true;
        var c = ModelConfig.FromJson(json);
        Assert.True(c.QkvBias && c.OutputBias);
    }

    [Fact]
    public void ReadsLlama3RopeScalingAndEosLists()
    {
        var json = Llama();
        json["rope_scaling"] = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 32.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 8192 };
        json["eos_token_id"] = new JsonArray(128001, 128008, 128009);
        json["head_dim"] = 16;
        var c = ModelConfig.FromJson(json);
        Assert.Equal(new Llama3RopeScaling(32, 1, 4, 8192), c.RopeScaling);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.Equal(16, c.HeadDim);
    }

    [Fact]
    public void SaveKeepsUnknownKeysAndSetsDtype()
    {
        var json = Llama();
        json["some_future_key"] = "kept";
        var dir = Paths.NewTempDir();
        ModelConfig.FromJson(json).Save(dir, "bfloat16");
        var back = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
        Assert.Equal("kept", (string)back["some_future_key"]!);
        Assert.Equal("bfloat16", (string)back["torch_dtype"]!);
        Assert.Equal(ModelConfig.FromJson(json).HeadDim, ModelConfig.Load(dir).HeadDim);
    }

    [Theory]
    [InlineData("architectures", "[\"GPT2LMHeadModel\"]", "architecture 'GPT2LMHeadModel' is not supported")]
    [InlineData("hidden_size", "null", "required key 'hidden_size' is missing")]
    [InlineData("num_key_value_heads", "3", "not a multiple of num_key_value_heads 3")]
    [InlineData("vocab_size", "\"big\"", "'vocab_size' must be a non-negative integer")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act 'gelu' is not supported")]
    [InlineData("rope_scaling", "{\"type\":\"yarn\",\"factor\":4}", "rope_scaling type 'yarn' is not supported")]
    public void RejectsBadConfigsWithTheKeyNamed(string key, string value, string expected)
    {
        var json = Llama();
        json[key] = JsonNode.Parse(value);
        var e = Assert.Throws<SiftException>(() => ModelConfig.FromJson(json, "dir/config.json"));
        Assert.Contains("dir/config.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFolderAndFileAreNamed()
    {
        Assert.Contains("does not exist", Assert.Throws<SiftException>(() => ModelConfig.Load("/no/such/model")).Message);
        var dir = Paths.NewTempDir();
        Assert.Contains("config.json", Assert.Throws<SiftException>(() => ModelConfig.Load(dir)).Message);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<SiftException>(() => ModelConfig.Load(dir)).Message);
    }
}

using Sift.Training.Lora;

namespace Sift.Tests.Training.Lora;

public class LoraConfigTests
{
    [Theory]
    [InlineData(0, 16, 0.0, "none", "q_proj", "r must be a positive integer")]
    [InlineData(8, 0, 0.0, "none", "q_proj", "lora_alpha must be finite and > 0, got 0")]
    [InlineData(8, 16, 1.0, "none", "q_proj", "lora_dropout must be in [0, 1)")]
    [InlineData(8, 16, -0.1, "none", "q_proj", "lora_dropout must be in [0, 1)")]
    [InlineData(8, 16, 0.0, "all", "q_proj", "bias 'all' is not supported")]
    [InlineData(8, 16, 0.0, "none", "lm_head", "'lm_head' is not a projection LoRA can adapt")]
    [InlineData(8, 16, 0.0, "none", "all-linear,q_proj", "mixes 'all-linear'")]
    [InlineData(8, 16, 0.0, "none", "", "target_modules is empty")]
    public void InvalidSettingsNameTheKeyAndTheFix(int r, double alpha, double dropout, string bias, string targets, string message)
    {
        var config = new LoraConfig { R = r, Alpha = alpha, Dropout = dropout, Bias = bias, TargetModules = targets.Split(',', StringSplitOptions.RemoveEmptyEntries) };
        var e = Assert.Throws<SiftException>(() => config.Validate("recipe.yaml: lora"));
        Assert.StartsWith("recipe.yaml: lora: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void TargetsMatchLikePeft()
    {
        var listed = new LoraConfig { TargetModules = ["q_proj", "layers.1.mlp.down_proj"] };
        Assert.True(listed.Targets("model.layers.0.self_attn.q_proj"));
        Assert.False(listed.Targets("model.layers.0.self_attn.k_proj"));
        Assert.True(listed.Targets("model.layers.1.mlp.down_proj"));
        Assert.False(listed.Targets("model.layers.0.mlp.down_proj"));
        Assert.False(listed.Targets("model.layers.11.mlp.down_proj"));

        var all = new LoraConfig();
        Assert.True(all.Targets("model.layers.3.mlp.gate_proj"));
        Assert.False(all.Targets("lm_head"));

        // PEFT's string form: a regular expression the whole module path must match.
        var pattern = new LoraConfig { TargetPattern = @".*layers\.0\..*(q_proj|v_proj)" };
        pattern.Validate();
        Assert.True(pattern.Targets("model.layers.0.self_attn.v_proj"));
        Assert.False(pattern.Targets("model.layers.1.self_attn.v_proj"));
        Assert.False(pattern.Targets("model.layers.0.self_attn.v_proj.extra"));
    }

    [Fact]
    public void BadPatternIsReported()
    {
        var e = Assert.Throws<SiftException>(() => new LoraConfig { TargetPattern = "(q_proj" }.Validate());
        Assert.Contains("not a valid regular expression", e.Message);
    }
}

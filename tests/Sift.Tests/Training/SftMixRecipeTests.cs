using Sift.Config;
using Sift.Training;
using Sift.Training.Objectives;
using Sift.Training.Recipes;

namespace Sift.Tests.Training;

/// <summary>The SFTMix reviewer-arm settings as recipe keys: defaults, range checks, the resolved recipe and resume.</summary>
public class SftMixRecipeTests
{
    private static TrainRecipe Bind(params string[] sets)
    {
        var tree = ConfigTree.Empty();
        TrainRecipe.ApplyCommandLine(tree, pretrain: false, "base", data: null, "out",
            ["objective.name=sftmix", "objective.confident=c.jsonl", "objective.unconfident=u.jsonl", .. sets]);
        return TrainRecipe.Bind(tree, pretrain: false);
    }

    private static SftMixOptions Options(TrainRecipe recipe) => Assert.IsType<SftMixSection>(recipe.Objective.Settings).Options;

    [Fact]
    public void DefaultsLeaveTheResolvedRecipeAndSoTheResumeSignatureAsTheyWere()
    {
        var plain = Bind();
        Assert.Equal(1.0, Options(plain).NtpWeight);
        Assert.False(Options(plain).DetachMixupHidden);
        // The resume settings are the values ToYaml writes: the same text, the same settings.
        Assert.Equal(plain.ToYaml(), Bind("objective.ntp_weight=1", "objective.mixup_detach_hidden=false").ToYaml());
        Assert.DoesNotContain("ntp_weight", plain.ToYaml());
        Assert.DoesNotContain("mixup_detach_hidden", plain.ToYaml());
    }

    [Fact]
    public void ArmsAreRecordedSoAResumeCannotSwitchThem()
    {
        var arm = Bind("objective.ntp_weight=0", "objective.mixup_weight=1", "objective.mixup_detach_hidden=true");
        var options = Options(arm);
        Assert.Equal((0.0, 1.0, true), (options.NtpWeight, options.Mu, options.DetachMixupHidden)); // μ = 1 is accepted
        var saved = ResumeSignature.Settings(arm);
        Assert.Equal("0", saved["objective.ntp_weight"]);
        Assert.Equal("true", saved["objective.mixup_detach_hidden"]);
        var (_, refused) = new ResumeSettings(ResumeSignature.Settings(Bind("objective.mixup_weight=1")), new HashSet<string>()).Compare(saved);
        Assert.Equal(["objective.mixup_detach_hidden", "objective.ntp_weight"], refused.Select(d => d.Key));
    }

    [Theory]
    [InlineData("objective.ntp_weight=-0.5", "--set: objective.ntp_weight: must be finite and ≥ 0, got -0.5")]
    [InlineData("objective.ntp_weight=0,objective.mixup_weight=0", "objective.ntp_weight and objective.mixup_weight are both 0")]
    [InlineData("objective.mixup_detach_hidden=true,lora.r=4", "objective.mixup_detach_hidden: true with lora.r > 0")]
    [InlineData("objective.mixup_weight=-1", "--set: objective.mixup_weight: must be finite and ≥ 0, got -1")]
    [InlineData("objective.neftune_noise_alpha=5", "objective.neftune_noise_alpha does not apply to objective.name: sftmix")]
    public void OutOfRangeArmsAreRefusedNamingTheKeys(string sets, string message)
    {
        var e = Assert.Throws<SiftException>(() => Bind(sets.Split(',')));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void MixupOnlyTrainingWithPackingRunsAndRefusesAResumeWithAnotherNtpWeight()
    {
        var (model, data) = TrainCliTests.Fixture();
        var lines = File.ReadAllLines(data);
        var dir = TrainerFixtures.TempDir();
        var (confident, unconfident, output) = (Path.Combine(dir, "confident.jsonl"), Path.Combine(dir, "unconfident.jsonl"), Path.Combine(dir, "out"));
        File.WriteAllLines(confident, lines[..12]);
        File.WriteAllLines(unconfident, lines[12..]);
        string[] Args(string ntpWeight) => TrainCliTests.Args(model, data, output,
            "--set", "objective.name=sftmix", "--set", $"objective.confident={confident}", "--set", $"objective.unconfident={unconfident}",
            "--set", "data.train=", "--set", "data.packing=true", "--set", "data.max_length=64", "--set", "schedule.max_steps=2",
            "--set", "objective.mixup_weight=1", "--set", $"objective.ntp_weight={ntpWeight}");
        var (code, _, err) = CliRunner.Run(Args("0"));
        Assert.True(code == 0, err);
        Assert.Contains("ntp_weight: 0", File.ReadAllText(Path.Combine(output, RunFiles.Recipe.Name)));
        (code, _, err) = CliRunner.Run([.. Args("0.5"), "--resume"]);
        Assert.Equal(1, code);
        Assert.Contains("objective.ntp_weight 0 -> 0.5", err);
    }
}

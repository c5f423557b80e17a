using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sift.Training;
using static Sift.Tests.Training.TrainCliTests;

namespace Sift.Tests.Training;

/// <summary>`sift train --resume` after a divergence: the advice works, changes are reported and recorded, and other changes are refused by name.</summary>
public class TrainResumeCliTests
{
    [Fact]
    public void DivergedRunResumesFromTheNamedCheckpointWithALowerLearningRate()
    {
        var (model, data) = Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        string[] blowUp = ["--set", "optimizer.learning_rate=100", "--set", "schedule.warmup_steps=10", "--set", "schedule.lr_scheduler_type=constant",
                           "--set", "schedule.max_steps=12"];
        var (code, _, err) = CliRunner.Run(Args(model, data, output, blowUp));
        Assert.True(code == 1, err);
        var named = Regex.Match(err, @"The last good checkpoint is (\S+) ").Groups[1].Value;
        Assert.Contains($"--resume {named} --set optimizer.learning_rate=", err);
        var recipe = File.ReadAllText(Path.Combine(output, "sift_recipe.yaml"));

        (code, _, err) = CliRunner.Run(Args(model, data, output, [.. blowUp, "--resume", named, "--set", "optimizer.learning_rate=1e-3",
                                                                  "--set", "optimizer.max_grad_norm=0.5"]));
        Assert.True(code == 0, err);
        Assert.Contains("resuming with changed settings: optimizer.learning_rate 100 -> 0.001, optimizer.max_grad_norm 1 -> 0.5", err);

        var record = JsonNode.Parse(File.ReadAllLines(Path.Combine(output, RunFiles.ResumeHistory.Name)).Single())!;
        Assert.Equal(named, record["checkpoint"]!.GetValue<string>());
        Assert.Equal("100", record["changed"]!["optimizer.learning_rate"]!["from"]!.GetValue<string>());
        Assert.Equal("0.001", record["changed"]!["optimizer.learning_rate"]!["to"]!.GetValue<string>());
        Assert.Contains("learning_rate: 0.001", File.ReadAllText(Path.Combine(output, "sift_recipe.yaml")));
        Assert.DoesNotContain("learning_rate: 0.001", recipe);
        Assert.True(File.Exists(Path.Combine(output, "model", "model.safetensors")));
    }

    [Theory]
    [InlineData("schedule.per_device_train_batch_size=2", "schedule.per_device_train_batch_size 4 -> 2")]
    [InlineData("seed=7", "seed 42 -> 7")]
    [InlineData("schedule.max_steps=5", "schedule.max_steps 4 -> 5")]
    [InlineData("data.max_length=64", "data.max_length 1024 -> 64")]
    public void ResumeWithASettingThatShapesTheRunIsRefusedNamingIt(string change, string named)
    {
        var (model, data) = Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        string[] run = ["--set", "schedule.max_steps=4", "--set", "output.save_steps=2"];
        var (code, _, err) = CliRunner.Run(Args(model, data, output, run));
        Assert.True(code == 0, err);
        var recipe = File.ReadAllText(Path.Combine(output, "sift_recipe.yaml"));
        var checkpoint = Path.Combine(output, "checkpoints", "checkpoint-2");

        (code, _, err) = CliRunner.Run(Args(model, data, output, [.. run, "--set", change, "--set", "optimizer.learning_rate=5e-4", "--resume", checkpoint]));
        Assert.Equal(1, code);
        Assert.Contains($"{checkpoint}: this checkpoint was made with different settings: {named}.", err);
        Assert.Equal(recipe, File.ReadAllText(Path.Combine(output, "sift_recipe.yaml")));
        Assert.False(File.Exists(Path.Combine(output, RunFiles.ResumeHistory.Name)));
    }

    [Fact]
    public void ResumeWithOtherDataIsRefusedNamingTheDataKeys()
    {
        var (model, data) = Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        string[] run = ["--set", "schedule.max_steps=4", "--set", "output.save_steps=2"];
        Assert.Equal(0, CliRunner.Run(Args(model, data, output, run)).ExitCode);
        var other = Path.Combine(TrainerFixtures.TempDir(), "other.jsonl");
        File.WriteAllLines(other, File.ReadAllLines(data).Skip(1));
        var (code, _, err) = CliRunner.Run(Args(model, other, output, [.. run, "--resume", Path.Combine(output, "checkpoints", "checkpoint-2")]));
        Assert.Equal(1, code);
        Assert.Contains("made with different settings: data.examples ", err);
        Assert.Contains($"data.train \"{data}\" -> \"{other}\"", err);
    }
}

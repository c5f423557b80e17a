using Sift.Native;
using Sift.Tests.Scoring;
using Sift.Tests.Training;
using Sift.Training;
using Sift.Training.Objectives;

namespace Sift.Tests.Native;

/// <summary>
/// Every tensor Sift creates is disposed by its owner or a dispose scope, never left to the garbage
/// collector: a tensor the finalizer thread frees can be freed while libtorch still reads it (a
/// native crash that strikes one run in many). Runs alone so that no other test's garbage counts.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class TensorLifetimeTests
{
    [Fact]
    public void TrainingWithCheckpointsAndExportLeavesNoTensorToTheFinalizer()
    {
        var data = TrainerFixtures.Examples(8);
        using var model = TrainerFixtures.Model();
        long before = FinalizedTensors.Count();
        TrainerFixtures.Train(model, TrainerFixtures.Options(steps: 4) with { SaveSteps = 1, PerDeviceTrainBatchSize = 2, GradientAccumulationSteps = 2 }, TrainerFixtures.TempDir(), data);
        Assert.Equal(0, FinalizedTensors.Count() - before);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)] // the reviewer arms: NTP weight, mixup on detached hidden states (its own two-pass step), plain and diagnostic steps
    [InlineData(false, true)] // every kernel's libtorch twin, as another device runs them (docs/DEVICES.md)
    public void SftMixWithDiagnosticsAndGradientCheckpointingLeavesNoTensorToTheFinalizer(bool arms, bool twins)
    {
        using var choice = twins ? KernelChoice.TwinsOnly() : null;
        var data = TrainerFixtures.Examples(12);
        var confident = data.Take(6).Select(e => e.Id).ToHashSet();
        using var model = TrainerFixtures.Model();
        long before = FinalizedTensors.Count();
        var options = TrainerFixtures.Options(steps: 3) with { GradientCheckpointing = true, Precision = Precision.Bfloat16Mixed };
        var sftmix = arms ? new SftMixOptions(Mu: 0.5, DiagnosticSteps: 2, NtpWeight: 0.5, DetachMixupHidden: true) : new SftMixOptions(Mu: 0.5, DiagnosticSteps: 1);
        TrainerFixtures.Train(model, options, TrainerFixtures.TempDir(), data, new SftMixObjective(confident, sftmix));
        Assert.Equal(0, FinalizedTensors.Count() - before);
    }

    [Theory]
    [InlineData("ntp")]
    [InlineData("packing")]
    [InlineData("neftune")]
    [InlineData("lora")]
    [InlineData("bfloat16")]
    public void TrainCommandLeavesNoTensorToTheFinalizer(string variant)
    {
        var ws = new ScoringWorkspace();
        string[] extra = variant switch
        {
            "neftune" => ["--set", "objective.name=neftune"],
            "lora" => ["--set", "lora.r=4"],
            "bfloat16" => ["--set", "precision.dtype=bfloat16"],
            "packing" => ["--set", "data.packing=true"],
            _ => [],
        };
        AssertNoneFinalized(["train", "--model", ws.Model, "--data", ws.Data, "--output-dir", ws.Out("run"),
            "--set", "schedule.max_steps=3", "--set", "schedule.per_device_train_batch_size=4", "--set", "output.save_steps=1",
            "--set", "output.confidence_checkpoints=2", "--set", "output.record_dynamics=true", "--set", $"data.max_length={ScoringWorkspace.MaxLength}", .. extra]);
        if (variant == "ntp") AssertNoneFinalized(["score", "confidence", "--run", ws.Out("run"), .. ws.Common("confidence")]);
    }

    [Fact]
    public void ScoringGenerationAndEvaluationLeaveNoTensorToTheFinalizer()
    {
        var ws = new ScoringWorkspace();
        var reference = ws.SaveModel("reference", seed: 2);
        AssertNoneFinalized(["score", "perplexity", "--model", ws.Model, .. ws.Common("ppl")]);
        AssertNoneFinalized(["score", "ifd", "--model", ws.Model, .. ws.Common("ifd")]);
        AssertNoneFinalized(["score", "learnability", "--base", ws.Model, "--ref", reference, .. ws.Common("learnability")]);
        AssertNoneFinalized(["generate", "--model", ws.Model, "--prompt", "Once upon a time", "--max-new-tokens", "8", "--temperature", "0.8", "--top-p", "0.9", "--top-k", "20", "--seed", "1"]);
        AssertNoneFinalized(["eval", "--model", ws.Model, "--data", ws.Data, "--max-length", $"{ScoringWorkspace.MaxLength}", "--batch-size", "4", "--out", ws.Out("eval")]);
    }

    [Fact]
    public void Bf16ScoringAndGenerationWithTheTwinsLeaveNoTensorToTheFinalizer()
    {
        var ws = new ScoringWorkspace();
        using var twins = KernelChoice.TwinsOnly();
        AssertNoneFinalized(["score", "perplexity", "--model", ws.Model, "--dtype", "bfloat16", .. ws.Common("ppl")]);
        AssertNoneFinalized(["generate", "--model", ws.Model, "--prompt", "Once upon a time", "--max-new-tokens", "8", "--dtype", "bfloat16"]);
    }

    private static void AssertNoneFinalized(string[] command)
    {
        long before = FinalizedTensors.Count();
        var (code, _, err) = CliRunner.Run(command);
        Assert.True(code == 0, $"sift {string.Join(' ', command)}: {err}");
        Assert.True(FinalizedTensors.Count() == before, $"sift {string.Join(' ', command.Take(2))} left {FinalizedTensors.Count() - before} tensors to the finalizer");
    }
}

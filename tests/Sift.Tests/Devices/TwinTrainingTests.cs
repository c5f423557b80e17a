using Sift.Native;
using Sift.Scoring;
using Sift.Tests.Training;
using Sift.Training;
using static TorchSharp.torch;

namespace Sift.Tests.Devices;

/// <summary>
/// End to end on the CPU: the tiny test model trained, and then scored, twice from the same weights and data, once
/// with the C# CPU kernels and once with every libtorch twin (what any other device runs).
/// </summary>
public class TwinTrainingTests
{
    private static List<StepReport> Train(Precision precision, bool twins)
    {
        var options = TrainerFixtures.Options(steps: 5) with { Precision = precision };
        using var model = TrainerFixtures.Model(options.ComputeDType);
        var steps = new List<StepReport>();
        using (twins ? KernelChoice.TwinsOnly() : null)
            TrainerFixtures.Train(model, options, TrainerFixtures.TempDir(), TrainerFixtures.Examples(16), onStep: steps.Add);
        return steps;
    }

    [Fact]
    public void Fp32TrainingWithTheTwinsTracksTheKernels()
    {
        // fp32 runs one C# kernel, the optimizer step. Its twin moves each weight by a few ulps (libtorch's CPU square root,
        // FusedAdamWTwinTests), which moves the loss and the gradient norm no more than an fp32 evaluation in another
        // summation order does: Tolerances.Fp32Forward and Fp32Gradient (4 rows of at most 16 positions a step).
        var kernel = Train(Precision.Float32, twins: false);
        var twin = Train(Precision.Float32, twins: true);
        using var model = TrainerFixtures.Model();
        var config = model.Config;
        Assert.Equal(kernel[0].Loss, twin[0].Loss); // the same weights: nothing differs before the first step
        for (int i = 0; i < kernel.Count; i++)
        {
            Assert.Equal(kernel[i].Loss, twin[i].Loss, Tolerances.Fp32Forward(config, 16) * kernel[i].Loss);
            Assert.Equal(kernel[i].GradNorm, twin[i].GradNorm, Tolerances.Fp32Gradient(config, 4, 16) * kernel[i].GradNorm);
        }
    }

    /// <summary>
    /// bf16 kernels and twins round at different points, each pair within a few bf16 roundings of its values' scale
    /// (Bf16KernelTwinTests). A loss is a mean of token NLLs, each moved by at most twice its logits' largest change;
    /// over a step's tokens the differences, of either sign, average down, and the losses stay within one bf16
    /// rounding (2⁻⁸) of their value. (Measured: under 1e-4 relative over five steps and twelve scored examples.)
    /// A twin computing something else, a wrong mask, scale or term, moves them by percents.
    /// </summary>
    private const double Bf16LossBound = Tolerances.Bf16;

    [Fact]
    public void Bf16TrainingWithTheTwinsTracksTheKernels()
    {
        var kernel = Train(Precision.Bfloat16Mixed, twins: false);
        var twin = Train(Precision.Bfloat16Mixed, twins: true);
        for (int i = 0; i < kernel.Count; i++)
            Assert.True(Math.Abs(kernel[i].Loss - twin[i].Loss) <= Bf16LossBound * kernel[i].Loss,
                $"step {i + 1}: loss {kernel[i].Loss} with the kernels, {twin[i].Loss} with the twins");
        Assert.True(kernel[^1].Loss < 0.9 * kernel[0].Loss && twin[^1].Loss < 0.9 * twin[0].Loss);
        Assert.Contains(kernel.Zip(twin), s => s.First.Loss != s.Second.Loss); // they round differently: the twins ran
    }

    [Fact]
    public void ScoringABf16ModelWithTheTwinsTracksTheKernels()
    {
        // Evaluation runs one bf16 kernel, RMSNorm (attention is libtorch's in evaluation either way).
        using var model = TrainerFixtures.Model(ScalarType.BFloat16);
        var examples = TrainerFixtures.Examples(12);
        var kernel = ExampleScorer.ScoreAll(model, examples, new ScoringOptions());
        List<ExampleStats> twin;
        using (KernelChoice.TwinsOnly()) twin = ExampleScorer.ScoreAll(model, examples, new ScoringOptions());
        for (int i = 0; i < examples.Count; i++)
        {
            Assert.Equal(kernel[i].Tokens, twin[i].Tokens);
            Assert.True(Math.Abs(kernel[i].NllSum - twin[i].NllSum) <= Bf16LossBound * kernel[i].NllSum,
                $"{examples[i].Id}: NLL sum {kernel[i].NllSum} with the kernels, {twin[i].NllSum} with the twins");
        }
        Assert.Contains(kernel.Zip(twin), s => s.First.NllSum != s.Second.NllSum); // they round differently: the twins ran
    }
}

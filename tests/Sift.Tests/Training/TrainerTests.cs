using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Tests.Training;

public class TrainerTests
{
    [Fact]
    public void TinyModelOverfitsTinySet()
    {
        using var model = TrainerFixtures.Model();
        var data = TrainerFixtures.Examples(8);
        var dir = TrainerFixtures.TempDir();
        var before = Evaluator.Evaluate(model, data, 8).Loss;
        var result = TrainerFixtures.Train(model, TrainerFixtures.Options(steps: 150) with { LearningRate = 1e-2, WeightDecay = 0.0 }, dir, data);
        var after = Evaluator.Evaluate(model, data, 8);
        Assert.True(before > 2.5, $"initial loss {before}");
        Assert.True(after.Loss < 0.05, $"final loss {after.Loss}");
        Assert.Equal(1.0, after.TokenAccuracy);
        Assert.True(File.Exists(Path.Combine(result.ModelDir!, "model.safetensors")));
        using var reloaded = ModelFolder.Load(result.ModelDir!);
        // Batches of 3 instead of 8: the same fp32 forward in another order (Tolerances.Fp32Forward, ×(1 + loss)
        // as in Tolerances.NllMean). A reload that loses or transposes a tensor moves the loss by O(1).
        Assert.Equal(after.Loss, Evaluator.Evaluate(reloaded, data, 3).Loss, Tolerances.Fp32Forward(model.Config, 32) * (1 + after.Loss));
    }

    /// <summary>
    /// Two micro-batches of two give the step of one batch of four: the same token-weighted mean
    /// gradient, summed in a different order. How close is derived from the arithmetic, not tuned:
    /// <list type="bullet">
    /// <item>With adam_epsilon = 1 the first AdamW step is w − lr·g/(|g| + 1) (bias corrections cancel),
    /// whose sensitivity to g is at most lr. With the default 1e-8 it is lr·sign(g) for most elements
    /// and jumps by up to 2·lr where |g| ≈ 1e-8, so a rounding difference in a near-zero gradient can
    /// move a weight by ~1e-6 (seen on AVX-512, where the kernels block sums differently).</item>
    /// <item>Every gradient element is a sum of products over at most n = 64 · 56 (intermediate width
    /// times the tokens of the batch) terms of magnitude at most max|g| of its tensor; two fp32
    /// orders of such a sum differ by at most 2·n·u·max|g|, u = 2⁻²⁴.</item>
    /// <item>The update itself rounds: a few ulps of the weight, 4·u·|w|.</item>
    /// </list>
    /// A normalisation bug (micro-batch means averaged instead of token-weighted) changes g by several
    /// percent, thousands of times this bound.
    /// </summary>
    [Fact]
    public void AccumulatingTwoMicroBatchesEqualsOneBatchOfFour()
    {
        var data = TrainerFixtures.Examples(4);
        using var a = TrainerFixtures.Model();
        using var b = TrainerFixtures.Model();
        const double lr = 1e-2, u = 1.0 / (1 << 24), n = 64 * 56;
        var options = TrainerFixtures.Options(steps: 1) with { WarmupSteps = 0, LrSchedulerType = LrSchedulerType.Constant, MaxGradNorm = 0, LearningRate = lr, AdamEpsilon = 1 };
        TrainerFixtures.Train(a, options with { PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 1 }, TrainerFixtures.TempDir(), data);
        TrainerFixtures.Train(b, options with { PerDeviceTrainBatchSize = 2, GradientAccumulationSteps = 2 }, TrainerFixtures.TempDir(), data);
        var wa = TrainerFixtures.Weights(a);
        var wb = TrainerFixtures.Weights(b);
        using var initial = TrainerFixtures.Model();
        var w0 = TrainerFixtures.Weights(initial);
        foreach (var (name, va) in wa)
        {
            // |Δw| = lr·|g|/(|g|+1), so the tensor's largest |g| is recovered from its largest step.
            double step = va.Select((v, i) => Math.Abs(v - w0[name][i])).Max() / lr;
            double maxGradient = step / (1 - step);
            for (int i = 0; i < va.Length; i++)
            {
                double tolerance = lr * 2 * n * u * maxGradient + 4 * u * Math.Abs(va[i]);
                Assert.True(Math.Abs(va[i] - wb[name][i]) <= tolerance, $"{name}[{i}]: {va[i]} vs {wb[name][i]} (tolerance {tolerance:E2})");
            }
        }
        Assert.Contains(wa, kv => kv.Value.Where((v, i) => Math.Abs(v - w0[kv.Key][i]) > 1e-4).Any());
    }

    [Theory]
    [InlineData(Precision.Float32)]
    [InlineData(Precision.Bfloat16Mixed)]
    [InlineData(Precision.Bfloat16Pure)]
    public void ResumingAfterAStopGivesBitIdenticalWeights(Precision precision)
    {
        var data = TrainerFixtures.Examples(12);
        var options = TrainerFixtures.Options(steps: 8) with { PerDeviceTrainBatchSize = 2, GradientAccumulationSteps = 2, WeightDecay = 0.1, SaveSteps = 0, Precision = precision };
        var neftune = new NextTokenObjective(new NeftuneOptions(5));
        var dtype = options.ComputeDType;

        using var straight = TrainerFixtures.Model(dtype);
        TrainerFixtures.Train(straight, options, TrainerFixtures.TempDir(), data, neftune);

        var dir = TrainerFixtures.TempDir();
        using (var first = TrainerFixtures.Model(dtype))
        {
            using var cancel = new CancellationTokenSource();
            var stopped = TrainerFixtures.Train(first, options, dir, data, neftune, cancel: cancel.Token, onStep: r => { if (r.Step == 3) cancel.Cancel(); });
            Assert.True(stopped.Interrupted);
        }
        var latest = new CheckpointStore(dir, 2).Latest();
        Assert.EndsWith("checkpoint-3", latest);
        using var resumed = TrainerFixtures.Model(dtype, seed: 99);
        var result = TrainerFixtures.Train(resumed, options, dir, data, neftune, resume: latest);
        Assert.False(result.Interrupted);

        var expected = TrainerFixtures.Weights(straight);
        foreach (var (name, values) in TrainerFixtures.Weights(resumed)) Assert.Equal(expected[name], values);
        var steps = File.ReadLines(Path.Combine(dir, RunFiles.Metrics.Name)).Select(l => JsonNode.Parse(l)!["step"]!.GetValue<long>()).ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), steps);
    }

    [Fact]
    public void CheckpointsKeepOnlyTheNewest()
    {
        var dir = TrainerFixtures.TempDir();
        using var model = TrainerFixtures.Model();
        TrainerFixtures.Train(model, TrainerFixtures.Options(steps: 6) with { SaveSteps = 1, SaveTotalLimit = 2 }, dir, TrainerFixtures.Examples(8));
        var kept = new CheckpointStore(dir, 2).List().Select(c => c.Step).ToList();
        Assert.Equal([5L, 6L], kept);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir, "checkpoints"), ".*"));
    }

    [Fact]
    public void NonFiniteLossStopsAndNamesTheLastGoodCheckpoint()
    {
        var dir = TrainerFixtures.TempDir();
        using var model = TrainerFixtures.Model();
        var objective = new FailingObjective(failAtStep: 4);
        var e = Assert.Throws<SiftException>(() =>
            TrainerFixtures.Train(model, TrainerFixtures.Options(steps: 6) with { SaveSteps = 2 }, dir, TrainerFixtures.Examples(8), objective));
        Assert.Contains("step 5: the loss is NaN", e.Message);
        // checkpoint-4 holds the weights step 5 ran on, so it is not known to be good.
        Assert.Contains("The last good checkpoint is " + Path.Combine(dir, "checkpoints", "checkpoint-2"), e.Message);
        Assert.True(File.Exists(Path.Combine(dir, "checkpoints", "checkpoint-4", CheckpointStore.StateFile)));
    }

    [Fact]
    public void ConfidenceSnapshotsAreEvenlySpacedAndListed()
    {
        Assert.Equal([3L, 5L, 8L, 10L], Trainer.ConfidenceSteps(10, 4));
        var dir = TrainerFixtures.TempDir();
        using var model = TrainerFixtures.Model();
        TrainerFixtures.Train(model, TrainerFixtures.Options(steps: 4) with { ConfidenceCheckpoints = 2, RecordDynamics = true }, dir, TrainerFixtures.Examples(8));
        var listed = ConfidenceList.Read(new RunFolder(dir));
        Assert.Equal(["confidence/checkpoint-2", "confidence/checkpoint-4"], listed.Select(p => p.Replace('\\', '/')));
        using var snapshot = ModelFolder.Load(Path.Combine(dir, listed[0]));
        var rows = File.ReadLines(Path.Combine(dir, RunFiles.Dynamics.Name)).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(16, rows.Count);
        Assert.All(rows, r => Assert.True(r["loss"]!.GetValue<double>() > 0));
        Assert.Equal(8, rows.Where(r => r["epoch"]!.GetValue<int>() == 0).Select(r => r["id"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public void Bf16MixedPrecisionTrainsWithFp32Masters()
    {
        using var model = TrainerFixtures.Model(ScalarType.BFloat16);
        var data = TrainerFixtures.Examples(8);
        var before = Evaluator.Evaluate(model, data, 8).Loss;
        var dir = TrainerFixtures.TempDir();
        var trainer = new Trainer(new FullModelTarget(model, null, ScalarType.BFloat16), new NextTokenObjective(),
            TrainerFixtures.Options(steps: 40) with { LearningRate = 1e-2, Precision = Precision.Bfloat16Mixed, SaveSteps = 20 }, dir);
        trainer.Train(data, [], null, default);
        Assert.True(Evaluator.Evaluate(model, data, 8).Loss < before / 2);
        Assert.Equal("F32", Sift.Models.Safetensors.SafetensorsCheckpoint.ListTensors(Path.Combine(dir, "checkpoints", "checkpoint-20"))["lm_head.weight"].Dtype);
        Assert.Equal(ScalarType.BFloat16, model.LmHeadWeight.dtype);
    }

    [Fact]
    public void LearningRateFollowsWarmupThenCosine()
    {
        var s = new LearningRateSchedule(1.0, LrSchedulerType.Cosine, WarmupSteps: 2, TotalSteps: 6);
        Assert.Equal([0.0, 0.5, 1.0, 0.5 * (1 + Math.Cos(Math.PI / 4)), 0.5, 0.5 * (1 + Math.Cos(3 * Math.PI / 4))], Enumerable.Range(0, 6).Select(i => s.RateAt(i)).ToArray());
        var linear = new LearningRateSchedule(2.0, LrSchedulerType.Linear, 0, 4);
        Assert.Equal([2.0, 1.5, 1.0, 0.5], Enumerable.Range(0, 4).Select(i => linear.RateAt(i)).ToArray());
    }

    [Fact]
    public void AFailedCheckpointWriteLeavesThePreviousOneIntact()
    {
        var dir = TrainerFixtures.TempDir();
        using var model = TrainerFixtures.Model();
        var target = new FailingSaveTarget(new FullModelTarget(model, null, ScalarType.Float32), failOnCall: 2);
        var trainer = new Trainer(target, new NextTokenObjective(), TrainerFixtures.Options(steps: 6) with { SaveSteps = 2 }, dir);
        var e = Assert.Throws<SiftException>(() => trainer.Train(TrainerFixtures.Examples(8), [], null, default));
        Assert.Contains("could not write checkpoint", e.Message);
        Assert.Contains("the previous checkpoint is intact", e.Message);
        var store = new CheckpointStore(dir, 2);
        Assert.Equal([2L], store.List().Select(c => c.Step));
        Assert.Empty(Directory.GetDirectories(store.Root, ".*"));
        using var reloaded = ModelFolder.Load(store.Latest()!);
    }

    /// <summary>A target whose n-th save writes part of the weights and then fails like a full disk.</summary>
    private sealed class FailingSaveTarget(ITrainingTarget inner, int failOnCall) : ITrainingTarget
    {
        private int _calls;
        public CausalLM Model => inner.Model;
        public IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> Trainable => inner.Trainable;
        public Dictionary<string, Tensor> Load(string dir) => inner.Load(dir);
        public void Export(string dir, IReadOnlyDictionary<string, Tensor> weights, bool final) => inner.Export(dir, weights, final);
        public void Save(string dir, IReadOnlyDictionary<string, Tensor> weights)
        {
            if (++_calls < failOnCall) { inner.Save(dir, weights); return; }
            File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), new byte[100]);
            throw new IOException("No space left on device");
        }
    }

    /// <summary>NTP whose loss becomes NaN at one step.</summary>
    private sealed class FailingObjective(long failAtStep) : ITrainingObjective
    {
        private readonly NextTokenObjective _ntp = new();
        public string Name => "failing";
        public IReadOnlyList<int[]> PlanEpoch(IReadOnlyList<TokenizedExample> examples, int microBatchSize, long seed, int epoch) =>
            _ntp.PlanEpoch(examples, microBatchSize, seed, epoch);
        public ObjectiveResult Compute(CausalLM model, TokenBatch batch, StepContext context)
        {
            var result = _ntp.Compute(model, batch, context);
            return context.Step == failAtStep ? result with { Loss = result.Loss * float.NaN } : result;
        }
    }
}

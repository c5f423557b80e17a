using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;

namespace Sift.Tests.Training;

public class SftMixObjectiveTests
{
    private static readonly List<TokenizedExample> Data = TrainerFixtures.Examples(12);
    private static readonly HashSet<string> Confident = Data.Take(6).Select(e => e.Id).ToHashSet();

    [Fact]
    public void MicroBatchesHoldKConfidentThenKUnconfident()
    {
        var plan = SftMixPlanner.Plan(Data, Confident, 4, pairByLength: false, seed: 1, epoch: 0);
        Assert.Equal(3, plan.Count);
        Assert.All(plan, b =>
        {
            Assert.All(b.Take(2), i => Assert.Contains(Data[i].Id, Confident));
            Assert.All(b.Skip(2), i => Assert.DoesNotContain(Data[i].Id, Confident));
        });
        Assert.Equal(12, plan.SelectMany(b => b).Distinct().Count());
        Assert.Equal(plan, SftMixPlanner.Plan(Data, Confident, 4, false, 1, 0));
        Assert.NotEqual(plan, SftMixPlanner.Plan(Data, Confident, 4, false, 1, 1));
    }

    [Fact]
    public void LengthPairingPairsSimilarResponseLengths()
    {
        var plan = SftMixPlanner.Plan(Data, Confident, 2, pairByLength: true, seed: 1, epoch: 0);
        var c = Data.Take(6).Select(e => e.TrainedCount).Order().ToList();
        var u = Data.Skip(6).Select(e => e.TrainedCount).Order().ToList();
        var pairs = plan.Select(b => (Data[b[0]].TrainedCount, Data[b[1]].TrainedCount)).OrderBy(p => p.Item1).ThenBy(p => p.Item2).ToList();
        Assert.Equal(c.Zip(u).OrderBy(p => p.First).ThenBy(p => p.Second).ToList(), pairs);
    }

    [Fact]
    public void OddBatchSizeIsRejected()
    {
        var e = Assert.Throws<SiftException>(() => SftMixPlanner.Plan(Data, Confident, 3, false, 1, 0));
        Assert.Contains("even per_device_train_batch_size", e.Message);
    }

    [Fact]
    public void MuZeroGivesExactlyTheNtpUpdateOnTheSameBatches()
    {
        var options = TrainerFixtures.Options(steps: 4) with { GradientAccumulationSteps = 2 };
        using var mixModel = TrainerFixtures.Model();
        TrainerFixtures.Train(mixModel, options, TrainerFixtures.TempDir(), Data, new SftMixObjective(Confident, new SftMixOptions(Mu: 0, DiagnosticSteps: 0)));
        using var ntpModel = TrainerFixtures.Model();
        TrainerFixtures.Train(ntpModel, options, TrainerFixtures.TempDir(), Data, new NtpOnSftMixBatches(Confident));
        var expected = TrainerFixtures.Weights(ntpModel);
        foreach (var (name, values) in TrainerFixtures.Weights(mixModel)) Assert.Equal(expected[name], values);
    }

    [Fact]
    public void MixupChangesTheUpdateAndLogsItsDiagnostics()
    {
        var dir = TrainerFixtures.TempDir();
        var options = TrainerFixtures.Options(steps: 2);
        using var mixModel = TrainerFixtures.Model();
        TrainerFixtures.Train(mixModel, options, dir, Data, new SftMixObjective(Confident, new SftMixOptions(Mu: 0.5, DiagnosticSteps: 1)));
        using var ntpModel = TrainerFixtures.Model();
        TrainerFixtures.Train(ntpModel, options, TrainerFixtures.TempDir(), Data, new NtpOnSftMixBatches(Confident));
        Assert.NotEqual(TrainerFixtures.Weights(ntpModel)["lm_head.weight"], TrainerFixtures.Weights(mixModel)["lm_head.weight"]);

        var last = JsonNode.Parse(File.ReadLines(Path.Combine(dir, RunFiles.Metrics.Name)).Last())!;
        double ntp = last["ntp_loss"]!.GetValue<double>(), mix = last["mixup_loss"]!.GetValue<double>();
        // The logged loss is the fp32 total of the same per-token terms as its two parts (at most 2·56 tokens
        // of a step); adding them in another order differs by Fp32Sum(112) of its scale.
        Assert.Equal(ntp + 0.5 * mix, last["loss"]!.GetValue<double>(), Tolerances.Scaled(Tolerances.Fp32Sum(112), ntp + 0.5 * mix));
        Assert.True(last["mixup_grad_norm"]!.GetValue<double>() > 0);
        Assert.InRange(last["grad_cosine"]!.GetValue<double>(), -1, 1);
        Assert.InRange(last["lambda_mean"]!.GetValue<double>(), 0, 1);
    }

    [Fact]
    public void DiagnosticStepsMakeTheSameUpdate()
    {
        // Diagnostic steps take each term's gradient separately and hand their sum to the trainer: the same
        // gradient summed in another order. Tolerance, derived as in TrainerTests.AccumulatingTwoMicroBatches…:
        // with adam_epsilon = 1 each step's sensitivity to g is at most lr (with 1e-8 it is unbounded near
        // g ≈ 0, where a rounding flips lr·sign(g)); clipping at 1 keeps |g| ≤ 1; a gradient element sums at
        // most n = 64·112 terms (intermediate width × the tokens of two micro-batches of four), so two orders
        // differ by Fp32Sum(n), and so can the clip scale computed from them; each update also rounds w (4u).
        // Over three steps: 3·(2·lr·Fp32Sum(n) + 4u·|w|), ~1.5e-5. Dropping or doubling one term of the sum
        // moves weights by ~lr·|g|, hundreds of times more for the gradients of this model.
        const double lr = 3e-3;
        var options = TrainerFixtures.Options(steps: 3) with { GradientAccumulationSteps = 2, AdamEpsilon = 1, LearningRate = lr };
        using var plain = TrainerFixtures.Model();
        TrainerFixtures.Train(plain, options, TrainerFixtures.TempDir(), Data, new SftMixObjective(Confident, new SftMixOptions(Mu: 0.5, DiagnosticSteps: 0)));
        using var diagnosed = TrainerFixtures.Model();
        TrainerFixtures.Train(diagnosed, options, TrainerFixtures.TempDir(), Data, new SftMixObjective(Confident, new SftMixOptions(Mu: 0.5, DiagnosticSteps: 1)));
        var expected = TrainerFixtures.Weights(plain);
        foreach (var (name, values) in TrainerFixtures.Weights(diagnosed))
            Assert.True(values.Zip(expected[name]).All(p => Math.Abs(p.First - p.Second) <= 3 * (2 * lr * Tolerances.Fp32Sum(64 * 112) + 4 * Tolerances.Fp32 * Math.Abs(p.Second))), $"{name} differs");
    }

    [Theory]
    [InlineData(2, 1, new long[] { 2, 4, 6, 7 })]      // every logged step: 2, 4, 6, and 7 as the last one
    [InlineData(1, 3, new long[] { 3, 6 })]            // every 3rd step
    [InlineData(2, 3, new long[] { 4, 6 })]            // logged 2, 4, 6, 7; multiples of 3 fall in (2, 4] and (4, 6]
    [InlineData(3, 2, new long[] { 3, 6 })]            // logged 3, 6, 7; multiples of 2 fall in (0, 3] and (3, 6], none in (6, 7]
    public void DiagnosticsRunOnTheFirstLoggedStepAfterEachMultiple(long loggingSteps, long diagnosticSteps, long[] expected)
    {
        var options = TrainerFixtures.Options(steps: 7) with { LoggingSteps = loggingSteps };
        var recorder = new RecordingObjective(new SftMixObjective(Confident, new SftMixOptions(Mu: 0.5, DiagnosticSteps: diagnosticSteps)));
        using var model = TrainerFixtures.Model();
        TrainerFixtures.Train(model, options, TrainerFixtures.TempDir(), Data, recorder);
        Assert.Equal(expected, recorder.DiagnosedSteps);
    }

    private sealed class RecordingObjective(ITrainingObjective inner) : ITrainingObjective
    {
        public List<long> DiagnosedSteps { get; } = [];
        public string Name => inner.Name;
        public IReadOnlyList<int[]> PlanEpoch(IReadOnlyList<TokenizedExample> examples, int microBatchSize, long seed, int epoch) =>
            inner.PlanEpoch(examples, microBatchSize, seed, epoch);
        public ObjectiveResult Compute(CausalLM model, TokenBatch batch, StepContext context)
        {
            var result = inner.Compute(model, batch, context);
            if (result.Metrics.ContainsKey("grad_cosine")) DiagnosedSteps.Add(context.Step + 1);
            return result;
        }
    }

    /// <summary>Plain NTP over the batches SFTMix would form: the reference for μ = 0.</summary>
    private sealed class NtpOnSftMixBatches(IReadOnlySet<string> confident) : ITrainingObjective
    {
        private readonly NextTokenObjective _ntp = new();
        public string Name => "ntp";
        public IReadOnlyList<int[]> PlanEpoch(IReadOnlyList<TokenizedExample> examples, int microBatchSize, long seed, int epoch) =>
            SftMixPlanner.Plan(examples, confident, microBatchSize, false, seed, epoch);
        public ObjectiveResult Compute(CausalLM model, TokenBatch batch, StepContext context) => _ntp.Compute(model, batch, context);
    }
}

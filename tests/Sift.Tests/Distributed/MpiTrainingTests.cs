using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sift.Distributed;
using Sift.Models;
using Sift.Training;
using Sift.Tests.Training;
using Xunit.Abstractions;
using static Sift.Tests.Training.TrainCliTests;

namespace Sift.Tests.Distributed;

/// <summary>
/// `mpirun -np 2 sift train` against the same run in one process (docs/DISTRIBUTED.md): the TrainCliTests fixture
/// (a random 32-wide model, 24 records, NEFTune noise), global batch 8 = per-device batch × accumulation.
/// </summary>
public class MpiTrainingTests(ITestOutputHelper testOutput)
{
    private static readonly Lazy<(string Model, string Data)> Files = new(Fixture);

    /// <summary>4 × 2: each of two ranks trains one micro-batch of every step.</summary>
    private static readonly string[] OneMicroBatchEach = ["--set", "schedule.per_device_train_batch_size=4", "--set", "schedule.gradient_accumulation_steps=2"];

    private static readonly string[] SixSteps = [.. OneMicroBatchEach, "--set", "schedule.max_steps=6", "--set", "output.save_steps=3"];

    private static readonly Lazy<string> AloneSixSteps = new(() => Train(alone: true, SixSteps));

    private static readonly string[] SixteenSteps = [.. OneMicroBatchEach, "--set", "schedule.max_steps=16"];

    private static readonly Lazy<string> AloneSixteenSteps = new(() => Train(alone: true, SixteenSteps));

    /// <summary>
    /// With one micro-batch per rank the two runs are the same arithmetic: each rank's micro-batch gradient is the
    /// single process's (same weights, same rows, one thread each, and the micro-batch's own NEFTune seed), and the
    /// sum of two fp32 gradients is one rounded addition either way (a + b = b + a in IEEE arithmetic), where one
    /// process adds the second micro-batch's gradient to the first's. So the tolerance is zero: every logged loss and
    /// gradient norm, and the model file, are the same bits.
    /// </summary>
    [MpiFact]
    public void TwoRanksTrainBitForBitAsOneProcessWhenEachTakesOneMicroBatchOfTheStep()
    {
        var alone = AloneSixSteps.Value;
        var ranks = Train(alone: false, SixSteps);
        Assert.Equal(Curve(alone, "loss", "grad_norm"), Curve(ranks, "loss", "grad_norm"));
        Assert.Equal(File.ReadAllBytes(ModelFile(alone)), File.ReadAllBytes(ModelFile(ranks)));
        Assert.All(Metrics(ranks), line => Assert.NotNull(line["allreduce_seconds"]));
    }

    /// <summary>A checkpoint does not depend on how many processes wrote it: each run resumes the other's and ends on the single process's bits.</summary>
    [MpiFact]
    public void EitherProcessCountResumesTheOthersCheckpoint()
    {
        var alone = AloneSixSteps.Value;
        var ranks = Train(alone: false, SixSteps);
        foreach (var (written, resumeAlone) in new[] { (ranks, true), (alone, false) })
        {
            var output = Path.Combine(TrainerFixtures.TempDir(), "out");
            var checkpoint = Path.Combine(output, "checkpoints", "checkpoint-3");
            CopyFolder(Path.Combine(written, "checkpoints", "checkpoint-3"), checkpoint);
            var log = Train(resumeAlone, [.. SixSteps, "--resume", checkpoint], output);
            Assert.Contains($"resumed from {checkpoint} at step 3 of 6", File.ReadAllText(log + ".log"));
            Assert.Equal(File.ReadAllBytes(ModelFile(alone)), File.ReadAllBytes(ModelFile(output)));
        }
    }

    /// <summary>
    /// Two micro-batches per rank: one process sums the step's four micro-batch gradients as ((g1 + g2) + g3) + g4, the
    /// ranks as (g1 + g2) + (g3 + g4). Each order is within 3u·Σ|gᵢ| of the exact sum (u = 2⁻²⁴), so they differ by at
    /// most 2·4·u·Σ|gᵢ| = Fp32Sum(4) relative to the terms. The update follows the gradient smoothly (AdamW, clipped),
    /// and to first order step t's loss carries the t perturbations before it: |Δloss_t| ≤ t·Fp32Sum(4)·max(1, loss_t).
    /// The first step's loss comes from the same weights and is equal. Whatever the order, all ranks apply the same
    /// summed gradient, so their weights stay bit-identical: the leader checks every rank's fingerprint at each
    /// checkpoint, and the last one is the fingerprint of the model it wrote.
    /// </summary>
    [MpiFact]
    public void TheLossCurveOfTwoRanksIsOneProcessesUpToTheOrderOfTheGradientSum()
    {
        string[] settings = ["--set", "schedule.per_device_train_batch_size=2", "--set", "schedule.gradient_accumulation_steps=4", "--set", "schedule.max_steps=6",
                             "--set", "output.save_steps=6"];
        var alone = Curve(Train(alone: true, settings), "loss");
        var ranks = Train(alone: false, settings);
        var curve = Curve(ranks, "loss");
        Assert.Equal(alone[0], curve[0]);
        double largest = 0, largestShare = 0;
        for (int t = 0; t < alone.Count; t++)
        {
            double difference = Math.Abs(alone[t] - curve[t]), bound = (t + 1) * Tolerances.Fp32Sum(4) * Math.Max(1, Math.Abs(alone[t]));
            Assert.True(difference <= bound, $"step {t + 1}: loss {curve[t]} vs {alone[t]} alone, |diff| {difference:E2} > {bound:E2}");
            (largest, largestShare) = (Math.Max(largest, difference), Math.Max(largestShare, difference / bound));
        }
        testOutput.WriteLine($"largest loss difference {largest:E2}, at most {largestShare:P1} of its bound");

        var fingerprint = Regex.Match(File.ReadAllText(ranks + ".log"), @"step 6: the weights of all ranks are bit-identical \(xxh128 ([0-9a-f]{32})\)");
        Assert.True(fingerprint.Success, File.ReadAllText(ranks + ".log"));
        using var model = ModelFolder.Load(new RunFolder(ranks).ModelDir);
        Assert.Equal(fingerprint.Groups[1].Value, WeightsFingerprint.Of(model.named_parameters().Select(p => (p.name, (TorchSharp.torch.Tensor)p.parameter))));
    }

    /// <summary>
    /// A rank killed mid-run (SIGKILL) takes the job down at once, mpirun naming it, instead of leaving the other
    /// waiting in the gradient sum; a rank told to stop (SIGTERM, as Slurm sends each task) stops every rank after
    /// the same step, where the leader saves a checkpoint. Both jobs resume with --resume from their last
    /// checkpoint and end with the weights of a run never stopped.
    /// </summary>
    [MpiTheory]
    [InlineData(Sigkill)]
    [InlineData(Sigterm)]
    public void AStoppedRankStopsTheJobWhichResumesFromItsLastCheckpoint(int signal)
    {
        string[] settings = [.. SixteenSteps, "--set", $"output.save_steps={(signal == Sigkill ? 1 : 16)}"];
        var straight = AloneSixteenSteps.Value;
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        using (var job = new SiftJobs.Job(SiftJobs.Ranks(2, Args(Files.Value.Model, Files.Value.Data, output, settings))))
        {
            var metrics = new RunFolder(output).MetricsPath;
            Assert.True(job.WaitUntil(() => File.Exists(metrics) && File.ReadAllText(metrics).Contains("{\"step\":3,")),
                $"{(job.Process.HasExited ? $"the job ended before step 3 was logged, exit code {job.Process.ExitCode}" : "step 3 not logged in time")}:\n{job.Output}");
            int leader = job.RankPid(0), other = job.RankPid(1);
            // Both ranks frozen first, so that the signal lands mid-run however fast the machine is.
            Assert.True(kill(leader, Sigstop) == 0 && kill(other, Sigstop) == 0);
            Assert.Equal(0, kill(other, signal));
            Assert.True(kill(leader, Sigcont) == 0 && kill(other, Sigcont) == 0);
            Assert.NotEqual(0, job.Wait());
            if (signal == Sigkill) Assert.Contains($"exited on signal {Sigkill}", job.Output);
            else Assert.Matches(@"interrupted at step \d+; resume with --resume", job.Output);
        }
        Assert.False(Directory.Exists(new RunFolder(output).ModelDir), "the run finished before it could be stopped");
        var last = new CheckpointStore(output, 2).Latest()!;

        var (code, resumed) = SiftJobs.Run(SiftJobs.Ranks(2, Args(Files.Value.Model, Files.Value.Data, output, [.. settings, "--resume"])));
        Assert.True(code == 0, resumed);
        Assert.Contains($"resumed from {last} at step ", resumed);
        Assert.Equal(File.ReadAllBytes(ModelFile(straight)), File.ReadAllBytes(ModelFile(output)));
    }

    /// <summary>Ranks started with different data refuse to train together, before the first step, naming the problem.</summary>
    [MpiFact]
    public void RanksThatReadDifferentDataStopBeforeTraining()
    {
        var other = Path.Combine(TrainerFixtures.TempDir(), "other.jsonl");
        File.WriteAllLines(other, File.ReadAllLines(Files.Value.Data).Skip(1));
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        var (code, log) = SiftJobs.Run(SiftJobs.RanksEach(Args(Files.Value.Model, Files.Value.Data, output, SixSteps), Args(Files.Value.Model, other, output, SixSteps)));
        Assert.NotEqual(0, code);
        Assert.Contains("1 of 2 ranks read other settings or training data than rank 0", log);
        Assert.False(File.Exists(Path.Combine(output, "metrics.jsonl")));
    }

    /// <summary>Trains into <paramref name="output"/> (a new folder by default) alone or as two ranks; returns the folder, with the job's output in FOLDER.log.</summary>
    private static string Train(bool alone, string[] settings, string? output = null)
    {
        output ??= Path.Combine(TrainerFixtures.TempDir(), "out");
        var args = Args(Files.Value.Model, Files.Value.Data, output, settings);
        var (code, log) = SiftJobs.Run(alone ? SiftJobs.Alone(args) : SiftJobs.Ranks(2, args));
        File.WriteAllText(output + ".log", log);
        Assert.True(code == 0, log);
        return output;
    }

    private static List<JsonNode> Metrics(string output) =>
        File.ReadLines(new RunFolder(output).MetricsPath).Select(l => JsonNode.Parse(l)!).Where(n => n["loss"] != null).ToList();

    private static List<double> Curve(string output, params string[] keys) =>
        Metrics(output).SelectMany(n => keys.Select(k => n[k]!.GetValue<double>())).ToList();

    private static string ModelFile(string output) => Path.Combine(new RunFolder(output).ModelDir, "model.safetensors");

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    private const int Sigkill = 9, Sigterm = 15, Sigstop = 19, Sigcont = 18;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}

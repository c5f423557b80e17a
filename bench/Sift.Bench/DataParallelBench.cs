using System.Diagnostics;
using System.Text.Json.Nodes;
using Sift.Distributed;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Bench;

/// <summary>
/// Data-parallel scaling (docs/DISTRIBUTED.md): the real trainer at a fixed global batch (micro-batch × accumulation
/// micro-batches of random tokens, every token trained), alone or as the ranks of `mpirun -np N sift-bench train-mpi`.
/// Reports tokens/s of the global batch (median step), the gradient all-reduce's seconds per step (the trainer's
/// allreduce_seconds: transfer plus the wait for the slower rank), the bytes each rank sums per step, and a bare
/// all-reduce of that size timed alone: its algorithm bandwidth (bytes / time) and bus bandwidth (× 2(N−1)/N, what a
/// ring moves per rank), the figure to extrapolate with. Training stops after its last timed step, before the
/// final checkpoint and export a benchmark does not need (1.6 GB for the 100M model).
/// </summary>
public static class DataParallelBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var world = MpiWorld.Join(Environment.GetEnvironmentVariable);
        bool leader = world is not { Rank: > 0 };
        int processes = world?.Size ?? 1;
        var modelName = Arg("--model", "stories15m");
        var config = TrainingBench.Config(modelName);
        int batch = int.Parse(Arg("--batch", "4")), accumulation = int.Parse(Arg("--accumulation", "2")), length = int.Parse(Arg("--length", "512")),
            steps = int.Parse(Arg("--steps", "4"));
        var options = new TrainingOptions
        {
            LearningRate = 1e-4, MaxSteps = steps + 2, PerDeviceTrainBatchSize = batch, GradientAccumulationSteps = accumulation, LoggingSteps = 1, SaveTotalLimit = 1,
        };
        using var model = new CausalLM(config, options.ComputeDType);
        model.InitializeWeights(0);
        var data = TrainingBench.RandomExamples(config, batch * accumulation * (steps + 2), length, firstTrained: 1);
        var outDir = Path.Combine(Path.GetTempPath(), $"sift-dp-bench-{Environment.ProcessId}");

        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        var trainer = new Trainer(new FullModelTarget(model, null, ScalarType.Float32), new NextTokenObjective(groupByLength: false), options, outDir)
        {
            Parallel = world,
            OnStep = report =>
            {
                times.Add(clock.Elapsed.TotalSeconds);
                clock.Restart();
                if (report.Step == steps + 1) throw new TimedStepsDone();
            },
        };
        List<double> allReduce;
        try
        {
            trainer.Train(data, [], null, default);
            throw new InvalidOperationException("training ended before its last timed step");
        }
        catch (TimedStepsDone)
        {
            allReduce = leader && world != null
                ? File.ReadLines(new RunFolder(outDir).MetricsPath).Skip(1).Select(l => JsonNode.Parse(l)!["allreduce_seconds"]!.GetValue<double>()).ToList()
                : [];
        }
        finally
        {
            if (leader) Directory.Delete(outDir, recursive: true);
        }

        var buckets = new GradientBuckets(model.parameters().ToList());
        long elements = buckets.Elements;
        double? bare = world is null ? null : BareAllReduce(world, buckets);
        world?.Finish();
        if (!leader) return 0;

        var timed = times.Skip(1).Order().ToList(); // the first step warms up
        double median = timed[timed.Count / 2], tokens = (double)batch * accumulation * length;
        Console.WriteLine($"{modelName} {elements / 1e6:F1}M params, global batch {batch}x{accumulation}x{length} = {tokens:F0} tokens, {processes} process(es) x {Sift.Native.WorkerThreads.Count} thread(s): " +
                          $"{tokens / median:F0} tok/s (median step {median:F2}s of {timed.Count})" +
                          (allReduce.Count == 0 ? "" : $", all-reduce {allReduce.Order().ElementAt(allReduce.Count / 2):F3} s/step ({100 * allReduce.Order().ElementAt(allReduce.Count / 2) / median:F1}% of the step), {elements * 4 / 1e6:F1} MB/step per rank") +
                          (bare is { } b ? $"; bare all-reduce {b:F3} s in {buckets.Count} bucket(s): algbw {elements * 4 / b / 1e9:F2} GB/s, busbw {2.0 * (processes - 1) / processes * elements * 4 / b / 1e9:F2} GB/s" : ""));
        return 0;
    }

    /// <summary>The median of five gradient all-reduces as training does them (<see cref="GradientBuckets"/>), each after a one-element sum that lines the ranks up.</summary>
    private static double BareAllReduce(IProcessGroup group, GradientBuckets buckets)
    {
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            group.Sum(new double[1]);
            var clock = Stopwatch.StartNew();
            buckets.SumOver(group);
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return times.Order().ElementAt(2);
    }

    private sealed class TimedStepsDone : Exception;
}

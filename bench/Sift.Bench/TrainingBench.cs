using System.Diagnostics;
using Sift.Data;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Bench;

/// <summary>
/// Training throughput of the real trainer (forward, backward, clipping, AdamW) at sequence length
/// 512 on random tokens, every token trained: tok/s, 6N-MFU against the matmul peak measured in the
/// same process, and peak RSS (VmHWM). Run one variant per process so the RSS is that variant's.
/// </summary>
public static class TrainingBench
{
    public static ModelConfig Config(string name) => name switch
    {
        "stories15m" => InferenceBench.Stories15M(),
        "llama100m" => ModelConfig.Create(vocabSize: 32000, hiddenSize: 640, intermediateSize: 1728, numLayers: 12, numHeads: 10, numKvHeads: 10),
        _ => throw new ArgumentException($"unknown model {name}: stories15m or llama100m"),
    };

    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var config = Config(Arg("--model", "stories15m"));
        var precision = Arg("--dtype", "fp32") == "bf16" ? Precision.Bfloat16Mixed : Precision.Float32;
        int batch = int.Parse(Arg("--batch", "8")), length = int.Parse(Arg("--length", "512")), steps = int.Parse(Arg("--steps", "4"));
        bool checkpointing = args.Contains("--gradient-checkpointing");

        double peak = MatmulPeak.GflopsPerSecond(precision == Precision.Float32 ? ScalarType.Float32 : ScalarType.BFloat16);
        var options = new TrainingOptions
        {
            LearningRate = 1e-4, MaxSteps = steps + 1, PerDeviceTrainBatchSize = batch, Precision = precision,
            GradientCheckpointing = checkpointing, SaveTotalLimit = 1, LoggingSteps = 1000,
        };
        using var model = new CausalLM(config, options.ComputeDType);
        model.InitializeWeights(0);
        var data = RandomExamples(config, batch * (steps + 1), length, firstTrained: 1);

        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        var outDir = Path.Combine(Path.GetTempPath(), $"sift-train-bench-{Environment.ProcessId}");
        var trainer = new Trainer(new FullModelTarget(model, null, ScalarType.Float32), new NextTokenObjective(), options, outDir)
        {
            OnStep = _ => { times.Add(clock.Elapsed.TotalSeconds); clock.Restart(); },
        };
        try { trainer.Train(data, [], null, default); }
        finally { Directory.Delete(outDir, recursive: true); }

        var timed = times.Skip(1).Take(steps).ToList();
        double seconds = timed.Min();
        double tokens = (double)batch * length;
        double n = model.named_parameters().Where(p => p.name != "model.embed_tokens.weight").Sum(p => (double)p.parameter.numel());
        double mfu = 6 * n * tokens / seconds / 1e9 / peak;
        Console.WriteLine($"{Arg("--model", "stories15m")} {(precision == Precision.Float32 ? "fp32" : "bf16")} batch {batch}x{length}{(checkpointing ? " ckpt" : "")}: " +
                          $"{tokens / seconds:F0} tok/s (best step {seconds:F2}s, median {timed.Order().ElementAt(timed.Count / 2):F2}s), " +
                          $"6N-MFU {100 * mfu:F0}% of {peak:F0} GFLOP/s, N = {n / 1e6:F1}M, peak RSS {PeakRssMiB():F0} MiB");
        return 0;
    }

    /// <summary>Seeded random token sequences whose tokens from <paramref name="firstTrained"/> on are trained.</summary>
    public static List<TokenizedExample> RandomExamples(ModelConfig config, int count, int length, int firstTrained)
    {
        var rng = new Random(0);
        return Enumerable.Range(0, count).Select(i => new TokenizedExample($"x{i}",
            Enumerable.Range(0, length).Select(_ => rng.Next(3, config.VocabSize)).ToArray(),
            Enumerable.Range(0, length).Select(p => p >= firstTrained).ToArray())).ToList();
    }

    public static double PeakRssMiB()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:"));
        return line == null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }
}

using System.Diagnostics;
using Sift.Generation;
using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Bench;

/// <summary>
/// Prefill and greedy-decode throughput of a stories15M-shaped model (dim 288, 6 layers, 6 heads,
/// vocab 32,000; random weights) in fp32 and bf16, against the matmul peak measured in the same run.
/// </summary>
public static class InferenceBench
{
    public static ModelConfig Stories15M() =>
        ModelConfig.Create(vocabSize: 32000, hiddenSize: 288, intermediateSize: 768, numLayers: 6, numHeads: 6,
            numKvHeads: 6, maxPositionEmbeddings: 256, rmsNormEps: 1e-5);

    public static int Run(string[] args)
    {
        int steps = int.Parse(args.SkipWhile(a => a != "--steps").Skip(1).FirstOrDefault() ?? "256");
        var config = Stories15M();
        using var model32 = new CausalLM(config);
        model32.InitializeWeights(seed: 0);
        var peak32 = MatmulPeak.GflopsPerSecond(ScalarType.Float32);
        var peak16 = MatmulPeak.GflopsPerSecond(ScalarType.BFloat16);
        Console.WriteLine($"matmul peak: fp32 {peak32:F0} GFLOP/s, bf16 {peak16:F0} GFLOP/s");

        var runC = args.SkipWhile(a => a != "--run-c").Skip(1).FirstOrDefault() ?? Path.Combine("..", "shared", "assets", "reference", "llama2c", "run.c");
        if (File.Exists(runC))
        {
            var checkpoint = Path.Combine(Path.GetTempPath(), $"sift-bench-{Environment.ProcessId}.bin");
            Sift.Models.Llama2c.Llama2cCheckpoint.Write(checkpoint, config, model32.ExportWeights());
            var (rate, tokens) = RunCPeer.Decode(RunCPeer.Build(runC), checkpoint, config.VocabSize, steps);
            Console.WriteLine($"run.c -O3 decode (same weights, 1 thread): {rate:F0} tok/s over {tokens} tokens");
        }
        else Console.WriteLine($"run.c not found at {runC}; pass --run-c PATH to compare");

        Report("fp32", model32, steps, peak32);
        using var model16 = new CausalLM(config, ScalarType.BFloat16);
        model16.LoadWeights(model32.ExportWeights(), "bench");
        Report("bf16", model16, steps, peak16);
        return 0;
    }

    private static void Report(string label, CausalLM model, int steps, double peak)
    {
        var prompt = Enumerable.Range(0, steps).Select(i => 1 + (i * 7919) % (model.Config.VocabSize - 1)).ToArray();
        double prefill = BestOf(3, () =>
        {
            using var _ = no_grad();
            using var cache = new KvCache(model.Config, 1, steps, model.DType);
            using var output = model.Forward(tensor(prompt.Select(i => (long)i).ToArray()).unsqueeze(0), cache: cache, computeLogits: false);
            model.Logits(output.Hidden[0, -1]).Dispose();
        });
        double prefillFlops = PrefillFlops(model.Config, steps);
        Console.WriteLine($"{label} prefill: {steps / prefill:F0} tok/s, {prefillFlops / prefill / 1e9:F1} GFLOP/s = {100 * prefillFlops / prefill / 1e9 / peak:F0}% of matmul peak");

        double decode = BestOf(2, () =>
        {
            int n = TextGenerator.Generate(model, [1], steps - 1, new SamplingOptions(), new HashSet<int>(), steps).Count();
            if (n != steps - 1) throw new InvalidOperationException($"generated {n} tokens");
        });
        Console.WriteLine($"{label} decode: {(steps - 1) / decode:F0} tok/s (greedy, {steps - 1} tokens from BOS, KV cache)");
    }

    /// <summary>Matmul FLOPs of a causal prefill of t tokens: projections and MLP, attention scores and values (causal half), one LM-head row.</summary>
    public static double PrefillFlops(ModelConfig c, int t)
    {
        double d = c.HiddenSize, kv = c.NumKvHeads * c.HeadDim, q = c.NumHeads * c.HeadDim;
        double perTokenLayer = 2 * (d * q + 2 * d * kv + q * d + 3 * d * c.IntermediateSize);
        double attention = 2 * 2 * q * t * (t + 1) / 2.0;
        return c.NumLayers * (perTokenLayer * t + attention) + 2 * d * c.VocabSize;
    }

    /// <summary>Seconds of the fastest of <paramref name="repeats"/> runs, after one warm-up run.</summary>
    public static double BestOf(int repeats, Action action)
    {
        action(); // warm-up
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}

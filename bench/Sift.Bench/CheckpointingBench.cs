using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Sift.Models;
using Sift.Training.Objectives;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Bench;

/// <summary>
/// Peak memory of one training step (forward, next-token loss, backward) of a stories15M-shaped
/// model with and without gradient checkpointing. Each variant runs in a fresh child process that
/// reports its own high-water RSS (VmHWM), so neither variant inherits the other's allocations.
/// </summary>
public static class CheckpointingBench
{
    private sealed record Options(int Batch, int Seq, ScalarType DType, bool FusedLoss)
    {
        public string[] ToArgs() => ["--batch", $"{Batch}", "--seq", $"{Seq}", "--dtype", DType == ScalarType.BFloat16 ? "bf16" : "fp32", "--loss", FusedLoss ? "fused" : "logits"];

        public static Options Parse(string[] args)
        {
            string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            var dtype = Value("--dtype") ?? "fp32";
            return new Options(int.Parse(Value("--batch") ?? "8"), int.Parse(Value("--seq") ?? "512"),
                dtype switch { "fp32" => ScalarType.Float32, "bf16" => ScalarType.BFloat16, _ => throw new ArgumentException($"--dtype {dtype}: fp32 or bf16") },
                (Value("--loss") ?? "fused") == "fused");
        }
    }

    private sealed record StepReport(long BeforeKb, long PeakKb, double Seconds, double Loss, double GradNorm);

    /// <summary>
    /// `ckpt`: both variants for two ways of computing the loss (all logits at once, as most trainers
    /// do; Sift's fused, chunked LM head + cross entropy) and two glibc malloc settings (default, where the dynamic mmap threshold keeps
    /// freed activations in the heap; a fixed 128 KiB threshold, where large blocks go back to
    /// the OS when freed).
    /// </summary>
    public static int Run(string[] args)
    {
        var options = Options.Parse(args);
        Console.WriteLine($"one training step (forward, next-token loss, backward), stories15M shape (dim 288, 6 layers, 6 heads, vocab 32000), batch {options.Batch} x seq {options.Seq}, {options.DType}; peak RSS = VmHWM of a fresh child process per row");
        foreach (var fused in new[] { false, true })
            foreach (var fixedMmapThreshold in new[] { false, true })
            {
                var variant = options with { FusedLoss = fused };
                var off = RunChild(false, variant, fixedMmapThreshold);
                var on = RunChild(true, variant, fixedMmapThreshold);
                Console.WriteLine($"loss {(fused ? "fused (FusedLinearCrossEntropy)" : "all logits at once")}, malloc {(fixedMmapThreshold ? "MALLOC_MMAP_THRESHOLD_=131072" : "default")}:");
                foreach (var (label, r) in new[] { ("  without checkpointing", off), ("  with checkpointing", on) })
                    Console.WriteLine($"{label,-24}: peak RSS {Mb(r.PeakKb),6:F0} MB (before the step {Mb(r.BeforeKb):F0} MB, the step adds {Mb(r.PeakKb - r.BeforeKb):F0} MB), {r.Seconds:F1} s, loss {r.Loss:F6}, grad norm {r.GradNorm:F6}");
                Console.WriteLine($"  reduction: {100.0 * (off.PeakKb - on.PeakKb) / off.PeakKb:F1}% of peak RSS, {100.0 * ((off.PeakKb - off.BeforeKb) - (on.PeakKb - on.BeforeKb)) / (off.PeakKb - off.BeforeKb):F1}% of the step's own memory");
            }
        return 0;
    }

    /// <summary>`ckpt-step`: one step in this process; prints one line of numbers for the parent.</summary>
    public static int Step(string[] args)
    {
        bool checkpointing = args.Contains("--checkpointing");
        var options = Options.Parse(args);
        using var model = new CausalLM(InferenceBench.Stories15M(), options.DType) { GradientCheckpointing = checkpointing };
        model.InitializeWeights(seed: 0);
        var generator = new Generator(1);
        using var ids = randint(0, model.Config.VocabSize, [options.Batch, options.Seq + 1], generator: generator);
        long before = HighWaterKb();
        var sw = Stopwatch.StartNew();
        double loss, gradNorm;
        using (NewDisposeScope())
        {
            var inputs = ids[.., ..^1];
            var targets = ids[.., 1..].reshape(-1);
            using var output = model.Forward(inputs, computeLogits: false);
            var hidden = output.Hidden.reshape(-1, output.Hidden.shape[^1]);
            loss = options.FusedLoss ? FusedLoss(model, hidden, targets) : FullLoss(model, hidden, targets);
            gradNorm = Math.Sqrt(model.parameters().Sum(p => p.grad!.to_type(ScalarType.Float32).square().sum().item<float>()));
        }
        double seconds = sw.Elapsed.TotalSeconds;
        Console.WriteLine(string.Join(' ', new object[] { before, HighWaterKb(), seconds, loss, gradNorm }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        return 0;
    }

    /// <summary>Logits for every token at once, as most trainers compute them; they are freed as soon as the loss no longer needs them.</summary>
    private static double FullLoss(CausalLM model, Tensor hidden, Tensor targets)
    {
        var logits = model.Logits(hidden).to_type(ScalarType.Float32);
        var loss = F.cross_entropy(logits, targets);
        logits.Dispose();
        loss.backward();
        return loss.item<float>();
    }

    /// <summary>The trainer's loss: <see cref="FusedLinearCrossEntropy"/>, no [tokens, vocab] tensor kept.</summary>
    private static double FusedLoss(CausalLM model, Tensor hidden, Tensor targets)
    {
        using var fused = FusedLinearCrossEntropy.Compute(hidden, model.LmHeadWeight, targets, 1.0 / hidden.shape[0]);
        fused.Loss.backward();
        return fused.Loss.item<float>();
    }

    private static StepReport RunChild(bool checkpointing, Options options, bool fixedMmapThreshold)
    {
        var (exe, prefix) = SelfCommand();
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, UseShellExecute = false };
        if (fixedMmapThreshold) start.Environment["MALLOC_MMAP_THRESHOLD_"] = "131072";
        else start.Environment.Remove("MALLOC_MMAP_THRESHOLD_");
        foreach (var a in prefix.Append("ckpt-step").Concat(options.ToArgs()).Concat(checkpointing ? ["--checkpointing"] : []))
            start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        var lines = child.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        child.WaitForExit();
        if (child.ExitCode != 0 || lines.Length == 0) throw new InvalidOperationException($"ckpt-step exited with {child.ExitCode}");
        var v = lines[^1].Split(' ');
        return new StepReport(long.Parse(v[0]), long.Parse(v[1]), Parse(v[2]), Parse(v[3]), Parse(v[4]));
    }

    /// <summary>The command that starts this program again: the apphost itself, or `dotnet sift-bench.dll`.</summary>
    private static (string Exe, string[] Prefix) SelfCommand()
    {
        var exe = Environment.ProcessPath!;
        return Path.GetFileNameWithoutExtension(exe) == "dotnet" ? (exe, [Assembly.GetEntryAssembly()!.Location]) : (exe, []);
    }

    private static long HighWaterKb()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]);
    }

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static double Mb(long kb) => kb / 1024.0;
}

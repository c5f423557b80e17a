using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Sift.Bench;

/// <summary>
/// Reproduces TorchSharp's temporary-scalar race in isolation: Tensor + Tensor passes an implicit
/// Scalar(1) as alpha, whose .NET object is unreachable while libtorch reads it, so a finalizer can
/// free it mid-call. Runs the unsafe form or Sift's held-scalar form for a while (with
/// SIFT_GC_STRESS=1 set, finalizers run without pause) and counts wrong results; a crash ends the
/// process.
/// </summary>
public static class LifetimeRace
{
    public static int Run(string[] args)
    {
        bool safe = args.Contains("--safe");
        double seconds = args.SkipWhile(a => a != "--seconds").Skip(1).Select(double.Parse).FirstOrDefault(20);
        using var a = ones(4);
        using var b = ones(4);
        using var one = 1.ToScalar();
        long ops = 0, wrong = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < 1000; i++, ops++)
            {
                using var sum = safe ? a.add(b, one) : a + b;
                if (sum[0].item<float>() != 2f) wrong++;
            }
        }
        Console.WriteLine($"{(safe ? "held scalar" : "implicit scalar")}: {ops} adds in {clock.Elapsed.TotalSeconds:F0} s, {wrong} wrong results");
        return wrong == 0 ? 0 : 1;
    }
}

using System.Diagnostics;
using static TorchSharp.torch;

namespace Sift.Bench;

/// <summary>The machine's measured matmul rate (best of several n³ products), the yardstick for MFU.</summary>
public static class MatmulPeak
{
    public static double GflopsPerSecond(ScalarType dtype, int n = 2048, int repeats = 5)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n).to_type(dtype);
        var b = randn(n, n).to_type(dtype);
        a.matmul(b).Dispose(); // warm-up
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}

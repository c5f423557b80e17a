using System.Runtime.CompilerServices;
using TorchSharp;

namespace Sift.Tests.Native;

/// <summary>
/// How many tensors the garbage collector's finalizer thread has disposed so far. TorchSharp counts
/// each disposal on the thread that performs it, so the finalizer thread's own count is the number
/// of tensors that were left to the collector instead of being disposed (each one a tensor that
/// could be freed while libtorch still reads it). Read from that thread by a probe's finalizer.
/// </summary>
internal static class FinalizedTensors
{
    /// <summary>
    /// The count once no garbage is left: collections repeat until a round finalizes nothing new,
    /// since an object freed by a finalizer can hold the only reference to more tensors.
    /// </summary>
    public static long Count()
    {
        long previous = -1, current = Read();
        for (int round = 0; round < 20 && current != previous; round++) (previous, current) = (current, Read());
        return current;
    }

    private static long Read()
    {
        var result = new long[1];
        DropProbe(result);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return result[0];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DropProbe(long[] result) => _ = new Probe(result);

    private sealed class Probe(long[] result)
    {
        ~Probe() => result[0] = DisposeScopeManager.Statistics.TensorStatistics.DisposedOutsideScopeCount;
    }
}

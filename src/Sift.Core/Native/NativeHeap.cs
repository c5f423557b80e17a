using System.Runtime.InteropServices;

namespace Sift.Native;

/// <summary>
/// glibc's malloc raises its mmap threshold every time a large mmapped block is freed, so from the
/// second training step on the big activation buffers come from the heap, and what is freed there
/// mostly stays in the process. Gradient checkpointing frees activations early, so it only lowers
/// the peak resident memory once the threshold is fixed: measured on stories15M, batch 8 × 512,
/// peak RSS 1,575 MiB with the dynamic threshold and 784 MiB with a fixed 128 KiB one
/// (`sift-bench train --gradient-checkpointing`, docs/RESULTS.md).
/// </summary>
internal static class NativeHeap
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD in malloc.h

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    /// <summary>Serve blocks of at least <paramref name="bytes"/> by mmap, returned to the system when freed. False where glibc's mallopt is not available.</summary>
    public static bool FixMmapThreshold(int bytes = 128 * 1024)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return Mallopt(MmapThreshold, bytes) == 1; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }
}

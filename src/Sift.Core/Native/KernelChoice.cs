using static TorchSharp.torch;

namespace Sift.Native;

/// <summary>
/// Which of its two implementations a kernel runs. Sift's hot kernels (the fused AdamW step, the bf16 loss
/// rows, bf16 attention and RMSNorm, the gradient dot products) are C# loops over tensor storage read through
/// host pointers: fast on the CPU, where they are the default, and impossible anywhere else. Each has a twin
/// made of libtorch operations alone, which runs on any device; docs/DEVICES.md lists the pairs and how
/// closely each twin matches its kernel. Tensors on another device always take the twin; tests also take it
/// on the CPU, inside <see cref="TwinsOnly"/>, to compare the two on the same inputs.
/// </summary>
public static class KernelChoice
{
    // Flows with the calling code (into its awaits and Parallel.For bodies), not across threads that did not
    // start from it: tests that run in parallel never see each other's choice.
    private static readonly AsyncLocal<bool> Twins = new();

    /// <summary>Whether the C# CPU kernel runs on <paramref name="t"/>: it is a CPU tensor and no caller asked for the twins.</summary>
    public static bool CpuKernel(Tensor t) => t.device_type == TorchSharp.DeviceType.CPU && !Twins.Value;

    /// <summary>Until the result is disposed, every kernel called from this flow of control takes its libtorch twin, on the CPU too (for tests).</summary>
    internal static IDisposable TwinsOnly()
    {
        bool before = Twins.Value;
        Twins.Value = true;
        return new Restore(before);
    }

    private sealed class Restore(bool before) : IDisposable
    {
        public void Dispose() => Twins.Value = before;
    }
}

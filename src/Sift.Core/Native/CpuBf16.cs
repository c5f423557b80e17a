namespace Sift.Native;

/// <summary>
/// Whether this CPU multiplies bfloat16 matrices in hardware. Without AVX512_BF16 or AMX (x86) or
/// the BF16 extension (Arm), libtorch emulates bfloat16 products in software, many times slower than
/// float32; users asking for bfloat16 there should hear it before a run crawls.
/// </summary>
public static class CpuBf16
{
    private static readonly string[] Flags = ["avx512_bf16", "amx_bf16", "bf16"];

    /// <summary>The warning to show when bfloat16 compute is asked for, or null when the CPU has it (or cannot be read).</summary>
    public static string? Warning { get; } = Read("/proc/cpuinfo");

    /// <summary>Says the warning (prefixed "warning: ") when <paramref name="dtype"/> is bfloat16 and this CPU lacks it, for work on the CPU (<paramref name="device"/>).</summary>
    public static void WarnIfEmulated(TorchSharp.torch.ScalarType dtype, Action<string>? say, TorchSharp.DeviceType device = TorchSharp.DeviceType.CPU)
    {
        if (dtype == TorchSharp.torch.ScalarType.BFloat16 && device == TorchSharp.DeviceType.CPU && Warning is { } warning) say?.Invoke("warning: " + warning);
    }

    internal static string? Read(string cpuinfo)
    {
        if (!File.Exists(cpuinfo)) return null;
        var flags = File.ReadLines(cpuinfo)
            .Where(l => l.StartsWith("flags") || l.StartsWith("Features"))
            .SelectMany(l => l[(l.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet();
        if (flags.Count == 0 || Flags.Any(flags.Contains)) return null;
        return "this CPU has no bfloat16 instructions (AVX512_BF16, AMX or Arm BF16): bfloat16 matrix products run in software, " +
               "many times slower than float32; use float32 here (--dtype float32, or precision.dtype: fp32 in a training recipe)";
    }
}

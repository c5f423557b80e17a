using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Sift.Native;

/// <summary>
/// The `device` setting (the recipe's top-level device, --device on the commands that load a model): where the
/// model and its tensors live. cpu is the default and the only device the libtorch package Sift is built with by
/// default provides; cuda, cuda:N and mps need a libtorch build that has them (docs/DEVICES.md).
/// </summary>
public static class ComputeDevice
{
    public const string Default = "cpu";

    public const string Forms = "cpu, cuda, cuda:N (N = 0, 1, ...) or mps";

    /// <summary>The device <paramref name="text"/> names (null: cpu), once the installed libtorch is known to have it.</summary>
    /// <param name="setting">Where the value was given, for errors: "--device", "device (recipe.yaml:3)".</param>
    public static Device Resolve(string? text, string setting)
    {
        var name = Normalize(text, setting);
        if (name == Default) return CPU;
        if (name == "mps")
        {
            if (!mps_is_available()) throw Missing(name, setting);
            return new Device(DeviceType.MPS);
        }
        int index = name == "cuda" ? 0 : int.Parse(name["cuda:".Length..], CultureInfo.InvariantCulture);
        if (!cuda.is_available()) throw Missing(name, setting);
        int count = cuda.device_count();
        if (index >= count)
            throw new SiftException($"{setting}: '{name}' does not exist: this machine has {count} CUDA device{(count == 1 ? "" : "s")}, " +
                                    $"cuda:0{(count > 1 ? $" to cuda:{count - 1}" : "")}");
        return new Device(DeviceType.CUDA, index);
    }

    /// <summary>The setting as the recipe records it (lower case, trimmed), after checking its form; whether the device exists is <see cref="Resolve"/>'s question.</summary>
    public static string Normalize(string? text, string setting)
    {
        var name = (text ?? Default).Trim().ToLowerInvariant();
        if (name is Default or "cuda" or "mps") return name;
        if (name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name.AsSpan("cuda:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            return $"cuda:{index}";
        throw new SiftException($"{setting}: '{text}' is not a device; use {Forms}");
    }

    /// <summary>Whether two devices are the same (TorchSharp's Device compares by reference; −1 and 0 both mean a type's first device).</summary>
    public static bool Same(Device a, Device b) => a.type == b.type && Math.Max(a.index, 0) == Math.Max(b.index, 0);

    /// <summary>What the installed libtorch can run on, e.g. "cpu" or "cpu, cuda:0, cuda:1".</summary>
    public static string Available()
    {
        var devices = new List<string> { Default };
        if (cuda.is_available()) devices.AddRange(Enumerable.Range(0, cuda.device_count()).Select(i => $"cuda:{i}"));
        if (mps_is_available()) devices.Add("mps");
        return string.Join(", ", devices);
    }

    private static SiftException Missing(string name, string setting) =>
        new($"{setting}: '{name}' is not available: the installed libtorch runs on {Available()} only. A CPU build of libtorch " +
            "(the package Sift is built with by default) has no CUDA or MPS; to use an NVIDIA GPU, build Sift against a CUDA libtorch package " +
            "(dotnet build -c Release -p:SiftTorchPackage=libtorch-cuda-12.8-linux-x64, see docs/DEVICES.md) and run it where the NVIDIA driver " +
            "sees the GPU; or leave the device at cpu");
}

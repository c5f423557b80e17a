using System.CommandLine;
using Sift.Native;

namespace Sift.Cli.Commands;

/// <summary>--device, on the commands that run a model.</summary>
public static class DeviceOption
{
    public static Option<string?> Create(string? sets = null) => new("--device")
    {
        Description = $"Where the model runs: {ComputeDevice.Forms} (default cpu; a GPU needs Sift built against a CUDA libtorch, see docs/DEVICES.md)" +
                      (sets == null ? "" : $" (sets {sets})"),
    };

    /// <summary>The device given, checked against the installed libtorch (an error names --device and how to get a CUDA build).</summary>
    public static TorchSharp.torch.Device Resolve(ParseResult parse, Option<string?> option) => ComputeDevice.Resolve(parse.GetValue(option), option.Name);
}

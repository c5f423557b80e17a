using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Tests.Devices;

/// <summary>
/// --device on the commands that run a model: a device the installed libtorch lacks, or no device at all, is refused
/// in one line naming the flag, before any work.
/// </summary>
public class DeviceCliTests
{
    private static readonly string Stories = Paths.Asset("models", "stories260K-hf");
    private static readonly string Data = Path.Combine(Paths.TestData, "good", "alpaca-small.jsonl");
    private static readonly string Out = Path.Combine(Paths.NewTempDir("sift-device"), "out");

    /// <summary>A device this machine's libtorch lacks (cuda on the default CPU build, one past the last GPU on a CUDA build).</summary>
    internal static string Missing => cuda.is_available() ? $"cuda:{cuda.device_count()}" : "cuda";

    public static TheoryData<string[]> Commands => new()
    {
        { ["score", "perplexity", "--model", Stories, "--data", Data, "--out", Path.Combine(Out, "ppl")] },
        { ["eval", "--model", Stories, "--data", Data, "--out", Out] },
        { ["generate", "--model", Stories, "--prompt", "Once"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryModelCommandRefusesAMissingDeviceInOneLine(string[] command)
    {
        var (code, stdout, stderr) = CliRunner.Run([.. command, "--device", Missing]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"error: --device: '{Missing}' ", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(Directory.Exists(Out));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryModelCommandNamesTheValidDevices(string[] command)
    {
        var (code, _, stderr) = CliRunner.Run([.. command, "--device", "gpu"]);
        Assert.Equal(1, code);
        Assert.Equal($"error: --device: 'gpu' is not a device; use {ComputeDevice.Forms}\n", stderr.Replace("\r\n", "\n"));
    }
}

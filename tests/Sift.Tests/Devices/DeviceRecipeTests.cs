using Sift.Config;
using Sift.Native;
using Sift.Training;
using Sift.Training.Recipes;

namespace Sift.Tests.Devices;

/// <summary>
/// The train recipe's device key and `sift train --device`: cpu by default and then absent from the resolved recipe
/// (its bytes, and so the resume signature, as before the key existed); another device recorded and allowed to change
/// on resume; a device the installed libtorch lacks refused at the recipe line or flag that named it.
/// </summary>
public class DeviceRecipeTests
{
    private static readonly string Stories = Paths.Asset("models", "stories260K-hf");
    private static readonly string Data = Path.Combine(Paths.TestData, "good", "alpaca-small.jsonl");
    private static string Missing => DeviceCliTests.Missing;

    private static TrainRecipe Bind(string? device, params string[] sets)
    {
        var tree = ConfigTree.Empty();
        TrainRecipe.ApplyCommandLine(tree, false, "base", "train.jsonl", "out", sets, device: device);
        return TrainRecipe.Bind(tree, false);
    }

    [Fact]
    public void CpuIsTheDefaultAndLeavesTheResolvedRecipeAsItWas()
    {
        var plain = Bind(null);
        Assert.Equal("cpu", plain.Device);
        Assert.DoesNotContain("\ndevice:", plain.ToYaml().Replace("\r\n", "\n"));
        Assert.Equal(plain.ToYaml(), Bind("cpu").ToYaml());
        Assert.Equal(plain.ToYaml(), Bind(null, "device=CPU").ToYaml());
        Assert.Equal(plain.Summary(), Bind("cpu").Summary());
    }

    [Fact]
    public void AnotherDeviceIsRecordedAndMayChangeOnResume()
    {
        // Binding refuses a device this machine lacks, so the recipe is made as binding would make it on a GPU machine.
        var cpu = Bind(null);
        var gpu = cpu with { Device = "cuda:1" };
        Assert.Equal(cpu.ToYaml() + "device: \"cuda:1\"\n", gpu.ToYaml().Replace("\r\n", "\n"));
        Assert.EndsWith(", device cuda:1", gpu.Summary());
        var (allowed, refused) = ResumeSignature.Of(gpu, []).Compare(ResumeSignature.Of(cpu, []).Values);
        Assert.Empty(refused);
        Assert.Equal("device (unset) -> \"cuda:1\"", Assert.Single(allowed).ToString());
    }

    [Fact]
    public void ARecipeNamingAMissingDeviceIsRefusedAtItsLine()
    {
        var dir = Paths.NewTempDir("sift-device");
        var path = Path.Combine(dir, "recipe.yaml");
        File.WriteAllText(path, $"model: base\ndata:\n  train: train.jsonl\noutput:\n  output_dir: out\ndevice: {Missing}\n");
        var e = Assert.Throws<SiftException>(() => TrainRecipe.Bind(ConfigTree.Load(path), false));
        Assert.StartsWith($"{path}:6: device: '{Missing}' ", e.Message);
        Assert.Contains("--set: device: 'tpu' is not a device; use cpu, cuda, cuda:N", Assert.Throws<SiftException>(() => Bind(null, "device=tpu")).Message);
    }

    [Fact]
    public void TrainRefusesAMissingDeviceInOneLineBeforeAnyWork()
    {
        var output = Path.Combine(Paths.NewTempDir("sift-device"), "run");
        var (code, stdout, stderr) = CliRunner.Run("train", "--model", Stories, "--data", Data, "--output-dir", output, "--device", Missing);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"error: --device: '{Missing}' ", stderr);
        Assert.False(Directory.Exists(output));
        (code, _, stderr) = CliRunner.Run("train", "--model", Stories, "--data", Data, "--output-dir", output, "--device", "gpu");
        Assert.Equal(1, code);
        Assert.Equal($"error: --device: 'gpu' is not a device; use {ComputeDevice.Forms}\n", stderr.Replace("\r\n", "\n"));
    }
}

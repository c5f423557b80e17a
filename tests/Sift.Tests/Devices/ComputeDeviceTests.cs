using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Tests.Devices;

/// <summary>The device setting: its forms, and a clear error (not a crash) for a device the installed libtorch lacks.</summary>
public class ComputeDeviceTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void CpuIsTheDefaultAndAlwaysThere(string? text)
    {
        var device = ComputeDevice.Resolve(text, "--device");
        Assert.Equal(TorchSharp.DeviceType.CPU, device.type);
        Assert.Equal("cpu", ComputeDevice.Normalize(text, "--device"));
    }

    [Theory]
    [InlineData("cuda", "cuda")]
    [InlineData("CUDA:1", "cuda:1")]
    [InlineData("cuda:01", "cuda:1")]
    [InlineData("mps", "mps")]
    public void TheRecipeRecordsADeviceInOneForm(string text, string recorded) => Assert.Equal(recorded, ComputeDevice.Normalize(text, "device"));

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("cuda0")]
    [InlineData("")]
    public void AnUnknownDeviceNamesTheSettingAndTheValidForms(string text)
    {
        var e = Assert.Throws<SiftException>(() => ComputeDevice.Resolve(text, "r.yaml:4: device"));
        Assert.Equal($"r.yaml:4: device: '{text}' is not a device; use cpu, cuda, cuda:N (N = 0, 1, ...) or mps", e.Message);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    [InlineData("mps")]
    public void ADeviceTheInstalledLibtorchLacksIsAClearError(string text)
    {
        // The default build's libtorch is the CPU one; with a CUDA build, ask for one device more than there are.
        bool gpuBuild = text.StartsWith("cuda") && cuda.is_available();
        if (gpuBuild) text = $"cuda:{cuda.device_count()}";
        var e = Assert.Throws<SiftException>(() => ComputeDevice.Resolve(text, "--device"));
        Assert.StartsWith($"--device: '{text}' ", e.Message);
        if (gpuBuild) Assert.Contains("does not exist: this machine has", e.Message);
        else
        {
            Assert.Contains($"is not available: the installed libtorch runs on {ComputeDevice.Available()} only", e.Message);
            Assert.Contains("-p:SiftTorchPackage=libtorch-cuda-12.8-linux-x64", e.Message);
            Assert.Contains("docs/DEVICES.md", e.Message);
        }
    }

    [Fact]
    public void WhatTheInstalledLibtorchHasStartsWithTheCpu()
    {
        Assert.StartsWith("cpu", ComputeDevice.Available());
        Assert.Equal(cuda.is_available(), ComputeDevice.Available().Contains("cuda:0"));
    }

    [Fact]
    public void DevicesAreTheSameByTypeAndIndex()
    {
        Assert.True(ComputeDevice.Same(CPU, new Device(TorchSharp.DeviceType.CPU, 0)));
        using var t = zeros(1);
        Assert.True(ComputeDevice.Same(t.device, CPU));
        Assert.True(ComputeDevice.Same(new Device("cuda"), new Device("cuda:0")));
        Assert.False(ComputeDevice.Same(new Device("cuda:0"), new Device("cuda:1")));
        Assert.False(ComputeDevice.Same(CPU, new Device("meta")));
    }
}

using Sift.Models;
using Sift.Tests.Models;
using static TorchSharp.torch;

namespace Sift.Tests.Devices;

/// <summary>
/// Moving a model: every parameter moves, including those a module holds in a field of its own (TorchSharp puts a
/// moved parameter back only in a field named as the parameter is registered), and moving to the CPU, where models
/// are made and loaded, changes nothing. libtorch's meta device (shapes without data, in every build) stands in
/// for a GPU: a moved tensor on it cannot be mistaken for the CPU original.
/// </summary>
public class ModelMoveTests
{
    private static readonly Device Meta = new(TorchSharp.DeviceType.META);

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void EveryParameterAndEveryNormsWeightMoves(ScalarType dtype)
    {
        using var model = CausalLMTests.TinyModel(dtype: dtype);
        model.MoveTo(Meta);
        Assert.Equal(TorchSharp.DeviceType.META, model.Device.type);
        Assert.All(model.parameters(), p => Assert.Equal(TorchSharp.DeviceType.META, p.device_type));
        Assert.Equal(TorchSharp.DeviceType.META, model.LmHeadWeight.device_type);
        var norms = model.modules().OfType<RmsNorm>().Distinct().ToList();
        Assert.Equal(2 * model.Config.NumLayers + 1, norms.Count);
        foreach (var norm in norms) Assert.Equal(TorchSharp.DeviceType.META, norm.Weight.device_type); // a disposed CPU weight would throw
    }

    [Fact]
    public void MovingToTheCpuKeepsTheSameParameters()
    {
        using var model = CausalLMTests.TinyModel();
        var before = model.parameters().ToList();
        model.MoveTo(CPU);
        Assert.Equal(before, model.parameters().ToList(), ReferenceEqualityComparer.Instance);
    }
}

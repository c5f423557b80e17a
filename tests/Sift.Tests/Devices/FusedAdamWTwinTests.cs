using Sift.Native;
using Sift.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sift.Tests.Devices;

/// <summary>
/// The fused AdamW step against its libtorch twin (<see cref="FusedAdamWTwin"/>) on the CPU, for fp32 training, bf16
/// with fp32 masters and pure bf16, with clipping and a parameter left without a gradient. The twin performs the
/// kernel's operations in the kernel's order, and every one of them rounds correctly but libtorch's CPU square root
/// (MKL's vector sqrt, within 1 ulp; CUDA's is correctly rounded): the moments, which do not depend on it, agree
/// bit for bit; the weights within the bound that one ulp carries through the update. The gradient norm sums in
/// another order and agrees within float64 rounding.
/// </summary>
public class FusedAdamWTwinTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sift-adamw-twin-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Sizes with vector tails, over several of the kernel's 8,192-element chunks.
    private static readonly long[][] Shapes = [[37, 301], [19_999], [3]];

    private sealed record Setup(List<Parameter> Masters, List<Parameter> Models, FusedAdamW Optimizer) : IDisposable
    {
        public void Dispose() => Optimizer.Dispose();
    }

    private static Setup Create(Precision precision)
    {
        var g = new Generator(1);
        var modelType = precision == Precision.Float32 ? ScalarType.Float32 : ScalarType.BFloat16;
        var models = Shapes.Select(s => new Parameter(randn(s, generator: g).to_type(modelType))).ToList();
        var masters = precision == Precision.Bfloat16Mixed ? models.Select(m => new Parameter(m.detach().to_type(ScalarType.Float32))).ToList() : models;
        var entries = masters.Select((m, i) => new FusedAdamW.Entry($"p{i}", m, models[i], m.dim() >= 2 ? 0.1 : 0.0));
        return new Setup(masters, models, new FusedAdamW(entries, 0.9, 0.95, 1e-8));
    }

    [Theory]
    [InlineData(Precision.Float32)]
    [InlineData(Precision.Bfloat16Mixed)]
    [InlineData(Precision.Bfloat16Pure)]
    public void TheTwinStepsAsTheKernelDoesButForTheSquareRootsRounding(Precision precision)
    {
        using var kernel = Create(precision);
        using var twin = Create(precision);
        // A rounding of the stored weight: fp32's u, or bf16's 2⁻⁸ for pure bf16 masters.
        double storage = precision == Precision.Bfloat16Pure ? Tolerances.Bf16 : Tolerances.Fp32;
        var bounds = Shapes.Select(s => new double[s.Aggregate(1L, (a, b) => a * b)]).ToArray();
        for (int step = 0; step < 4; step++)
        {
            double lr = 1e-2 * (1 - step / 10.0), scale = step == 1 ? 0.37 : 1.0; // a clipped step
            var before = kernel.Masters.Select(Values).ToArray();
            for (int i = 0; i < Shapes.Length; i++)
            {
                bool without = step == 2 && i == 1; // a parameter the step leaves without a gradient
                var grad = without ? null : randn(Shapes[i], generator: new Generator((ulong)(step * 31 + i))).to_type(kernel.Models[i].dtype);
                kernel.Models[i].grad = grad?.clone();
                twin.Models[i].grad = grad?.clone();
            }
            kernel.Optimizer.Step(lr, scale);
            using (KernelChoice.TwinsOnly()) twin.Optimizer.Step(lr, scale);
            for (int i = 0; i < Shapes.Length; i++)
            {
                // One ulp of √v (2u relative) and the four roundings after it on both sides (÷√bc2, + ε, m ÷ denominator,
                // × lr/bc1: 2u each) move the update by at most 10u of its size; then p·(1 − lr·wd) and p − update round
                // once each on both sides, and the difference the weights already had decays with them.
                double decay = 1 - lr * (kernel.Masters[i].dim() >= 2 ? 0.1 : 0.0);
                var (after, ours) = (Values(kernel.Masters[i]), Values(twin.Masters[i]));
                for (int j = 0; j < after.Length; j++)
                {
                    double update = Math.Abs(before[i][j] * decay - after[j]);
                    bounds[i][j] = decay * bounds[i][j] + 10 * Tolerances.Fp32 * update + 2 * Tolerances.Fp32 * Math.Abs(before[i][j] * decay) + 2 * storage * Math.Abs(after[j]);
                    Assert.True(Math.Abs(after[j] - ours[j]) <= bounds[i][j], $"step {step + 1}, parameter {i}, element {j}: kernel {after[j]}, twin {ours[j]}");
                }
                if (precision == Precision.Bfloat16Mixed) // each side's model copy is its master rounded to bf16
                    Assert.True(twin.Models[i].eq(twin.Masters[i].to_type(ScalarType.BFloat16)).all().item<bool>(), $"step {step + 1} model {i}");
                if (twin.Models[i].grad is { } g) Assert.Equal(0, g.count_nonzero().item<long>());
            }
        }
        if (precision != Precision.Bfloat16Pure) // the square root rounds some fp32 weight differently: the twin ran
            Assert.Contains(Enumerable.Range(0, Shapes.Length), i => !kernel.Masters[i].eq(twin.Masters[i]).all().item<bool>());
        // The moments and the step count, as the checkpoint stores them: bit for bit.
        kernel.Optimizer.Save(Path.Combine(_dir, "kernel.safetensors"));
        twin.Optimizer.Save(Path.Combine(_dir, "twin.safetensors"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "kernel.safetensors")), File.ReadAllBytes(Path.Combine(_dir, "twin.safetensors")));
    }

    private static double[] Values(Tensor t) => t.detach().to_type(ScalarType.Float64).data<double>().ToArray();

    [Theory]
    [InlineData(Precision.Float32)]
    [InlineData(Precision.Bfloat16Pure)]
    public void TheGradientNormsAgreeWithinFloat64Rounding(Precision precision)
    {
        using var setup = Create(precision);
        for (int i = 0; i < Shapes.Length; i++) setup.Models[i].grad = i == 1 ? null : randn(Shapes[i], generator: new Generator((ulong)i)).to_type(setup.Models[i].dtype);
        double kernel = setup.Optimizer.GradientNorm();
        double twin;
        using (KernelChoice.TwinsOnly()) twin = setup.Optimizer.GradientNorm();
        // Both add the same exact squares (of fp32 values, in float64) in different orders: the sums differ by at most
        // 2·n·2⁻⁵³ of their value, the norms by half that. A missing tensor or a wrong power moves the norm by percents.
        long n = setup.Models.Where(m => m.grad is not null).Sum(m => m.numel());
        Assert.Equal(kernel, twin, n * Tolerances.Fp64 * kernel);
        Assert.True(kernel > 1);
    }
}

using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Tests.Models;

/// <summary>
/// The one-pass bf16 RMSNorm against the fp32 RmsNorm with autograd on the same bf16 inputs: output,
/// input gradient and weight gradient, at widths with and without a tail past the 16-value vector loop
/// and with more rows than one block (so the weight gradient sums several blocks).
/// </summary>
public class Bf16RmsNormTests
{
    [Theory]
    [InlineData(288)]
    [InlineData(37)]
    public void OutputAndGradientsTrackTheFp32Norm(int dim)
    {
        var g = new Generator(5);
        using var x16 = (randn([3, 50, dim], generator: g) * 3).to_type(ScalarType.BFloat16);
        using var w16 = (randn([dim], generator: g) * 0.5 + 1).to_type(ScalarType.BFloat16);
        using var dy16 = randn([3, 50, dim], generator: g).to_type(ScalarType.BFloat16);

        var ours = Run(ScalarType.BFloat16, x16, w16, dy16, dim);
        var reference = Run(ScalarType.Float32, x16, w16, dy16, dim);

        // y: the normalized values and the product with w are each rounded to bf16 where the reference keeps
        // fp32: 2·2⁻⁸ of the scale. dx: one rounding of the result on top of fp32 sums of dim terms.
        Tolerances.AssertClose(reference.Y, ours.Y, 2 * Tolerances.Bf16, "output");
        Tolerances.AssertClose(reference.Dx, ours.Dx, Tolerances.Bf16 + Tolerances.Fp32Sum(dim), "input gradient");
        // dw = Σ_rows dy·n: each term uses n rounded to bf16 (2⁻⁸ of its size), then one rounding of the sum.
        using var n = x16.to_type(ScalarType.Float32) * (x16.to_type(ScalarType.Float32).square().mean([-1], keepdim: true) + 1e-5).rsqrt();
        var terms = (dy16.to_type(ScalarType.Float32) * n).abs().sum([0, 1]).data<float>().ToArray();
        var (r, o) = (reference.Dw.data<float>().ToArray(), ours.Dw.data<float>().ToArray());
        for (int j = 0; j < dim; j++)
            Assert.True(Math.Abs(o[j] - r[j]) <= Tolerances.Bf16 * (terms[j] + Math.Abs(r[j])), $"weight gradient {j}: {o[j]} vs {r[j]}");
    }

    private static (Tensor Y, Tensor Dx, Tensor Dw) Run(ScalarType dtype, Tensor x16, Tensor w16, Tensor dy16, int dim)
    {
        var norm = new RmsNorm(dim, 1e-5, dtype);
        using (no_grad()) norm.Weight.copy_(w16);
        var x = x16.to_type(dtype).detach().clone().requires_grad_(true);
        var y = norm.forward(x);
        y.backward([dy16.to_type(dtype)]);
        return (y.detach().to_type(ScalarType.Float32), x.grad!.to_type(ScalarType.Float32), norm.Weight.grad!.to_type(ScalarType.Float32));
    }
}

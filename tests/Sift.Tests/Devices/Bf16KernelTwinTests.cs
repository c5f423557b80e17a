using Sift.Models;
using Sift.Native;
using Sift.Training.Objectives;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Tests.Devices;

/// <summary>
/// The bf16 CPU kernels against their libtorch twins on the same bf16 inputs, on the CPU: the loss rows
/// (<see cref="Bf16SoftmaxRows"/> / <see cref="Bf16SoftmaxRowsTwin"/>), RMSNorm (<see cref="Bf16RmsNorm"/> / RmsNorm's
/// libtorch path) and training attention (<see cref="Bf16Attention"/> / scaled_dot_product_attention). Each pair
/// rounds at different points, so each comparison has a bound derived beside it.
/// </summary>
public class Bf16KernelTwinTests
{
    [Theory]
    [InlineData(37)]
    [InlineData(1000)]
    public void TheLossRowsTwinGivesTheKernelsNllHitsAndGradient(int vocab)
    {
        const int rows = 9;
        const float scale = 0.125f;
        var g = new Generator(3);
        using var logits = (randn([rows, vocab], generator: g) * 4).to_type(ScalarType.BFloat16);
        using var gold = randint(vocab, [rows], generator: g);
        gold[0] = logits[0].to_type(ScalarType.Float32).argmax(); // one hit at least
        logits[1, 5] = logits[1].max(); // a tie for the largest logit: both take the first
        var (kernel, twin) = (logits.clone(), logits.clone());
        var (nll, twinNll) = (new float[rows], new float[rows]);
        var (hits, twinHits) = (new bool[rows], new bool[rows]);
        Bf16SoftmaxRows.Run(kernel, gold.data<long>().ToArray(), scale, nll, hits);
        using (KernelChoice.TwinsOnly()) Bf16SoftmaxRowsTwin.Run(twin, gold.unsqueeze(1), scale, twinNll, twinHits);

        Assert.Equal(hits, twinHits);
        Assert.Contains(true, hits);
        var (a, b, z) = (kernel.to_type(ScalarType.Float64).data<double>().ToArray(), twin.to_type(ScalarType.Float64).data<double>().ToArray(),
                         logits.to_type(ScalarType.Float64));
        // The same fp32 operations but for exp (the kernel's within 2 ulp, libtorch's within 1: 3·2u relative each) and
        // the order of the vocab-term sum of exponentials (Fp32Sum(vocab) relative): log(sum) moves by the sum of the
        // two, and lse = log(sum) + max and lse − z_gold round once more each on both sides, relative to |max| + |lse|.
        double sumBound = Tolerances.Fp32Sum(vocab) + 6 * Tolerances.Fp32;
        for (int r = 0; r < rows; r++)
        {
            double magnitude = 1 + 2 * z[r].abs().max().item<double>() + Math.Abs(nll[r]);
            Assert.Equal(nll[r], twinNll[r], sumBound + 4 * Tolerances.Fp32 * magnitude);
            for (int j = 0; j < vocab; j++)
            {
                // scale·softmax (− scale at the gold token) in fp32 differs by sumBound relative to scale, then each side
                // rounds to bf16 once (2⁻⁸ relative each).
                double x = a[r * vocab + j], y = b[r * vocab + j];
                Assert.True(Math.Abs(x - y) <= 2 * Tolerances.Bf16 * Math.Max(Math.Abs(x), Math.Abs(y)) + sumBound * scale,
                    $"row {r} token {j}: kernel {x}, twin {y}");
            }
        }
    }

    [Theory]
    [InlineData(288)]
    [InlineData(37)]
    public void RmsNormsKernelAndLibtorchPathAgree(int dim)
    {
        var g = new Generator(5);
        using var x16 = (randn([3, 50, dim], generator: g) * 3).to_type(ScalarType.BFloat16);
        using var w16 = (randn([dim], generator: g) * 0.5 + 1).to_type(ScalarType.BFloat16);
        using var dy16 = randn([3, 50, dim], generator: g).to_type(ScalarType.BFloat16);
        var kernel = RmsNormPass(x16, w16, dy16, dim);
        (Tensor Y, Tensor Dx, Tensor Dw) twin;
        using (KernelChoice.TwinsOnly()) twin = RmsNormPass(x16, w16, dy16, dim);

        // r = 1/√(mean x² + ε) differs by the order of a dim-term fp32 sum (Fp32Sum(dim)) and a few roundings; then
        // n = bf16(x·r) and y = bf16(w·n) each round on both sides: 4 bf16 roundings (2⁻⁸ each) of the output's scale.
        Tolerances.AssertClose(kernel.Y, twin.Y, 4 * Tolerances.Bf16 + Tolerances.Fp32Sum(dim), "output");
        Assert.False(kernel.Dx.eq(twin.Dx).all().item<bool>()); // they round differently: the twin ran
        // dx = r·g − (r³/d)·x·Σ g·x with g = dy·w: the kernel keeps g in fp32 and rounds dx once; libtorch's autograd
        // rounds g to bf16 (dy·w is a bf16 product), which reaches both terms (2·2⁻⁸ of the scale), and rounds dx once.
        Tolerances.AssertClose(kernel.Dx, twin.Dx, 4 * Tolerances.Bf16 + 2 * Tolerances.Fp32Sum(dim), "input gradient");
        // dw = Σ_rows dy·n: libtorch rounds each product to bf16 (2⁻⁸ of each term), n may round to the neighbouring
        // bf16 value on either side (2·2⁻⁸ of each term), the 150-term fp32 sums run in other orders, and each side
        // rounds its sum to bf16 once.
        using var x = x16.to_type(ScalarType.Float32);
        using var n = x * (x.square().mean([-1], keepdim: true) + 1e-5).rsqrt();
        var terms = (dy16.to_type(ScalarType.Float32) * n).abs().sum([0, 1]).data<float>().ToArray();
        var (k, t) = (kernel.Dw.data<float>().ToArray(), twin.Dw.data<float>().ToArray());
        for (int j = 0; j < dim; j++)
            Assert.True(Math.Abs(k[j] - t[j]) <= (3 * Tolerances.Bf16 + Tolerances.Fp32Sum(150)) * terms[j] + Tolerances.Bf16 * (Math.Abs(k[j]) + Math.Abs(t[j])),
                $"weight gradient {j}: kernel {k[j]}, twin {t[j]}");
    }

    private static (Tensor Y, Tensor Dx, Tensor Dw) RmsNormPass(Tensor x16, Tensor w16, Tensor dy16, int dim)
    {
        var norm = new RmsNorm(dim, 1e-5, ScalarType.BFloat16);
        using (no_grad()) norm.Weight.copy_(w16);
        var x = x16.detach().clone().requires_grad_(true);
        var y = norm.forward(x);
        y.backward([dy16]);
        return (y.detach().to_type(ScalarType.Float32), x.grad!.to_type(ScalarType.Float32), norm.Weight.grad!.to_type(ScalarType.Float32));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrainingAttentionsKernelAndScaledDotProductAttentionAgree(bool padded)
    {
        const int batch = 3, heads = 2, t = 300, dim = 16;
        var g = new Generator(11);
        Tensor Draw(double scale) => (randn([batch, heads, t, dim], generator: g) * scale).to_type(ScalarType.BFloat16);
        var (q, k, v, dOut) = (Draw(1.5), Draw(1.5), Draw(1), Draw(1));
        using var layout = padded ? AttentionLayout.Padded(tensor(Enumerable.Range(0, batch * t).Select(i => i / t == 1 && i % t < 5 ? 0L : 1L).ToArray()).reshape(batch, t)) : null;
        var mask = layout?.Mask;
        var kernel = AttentionPass((a, b, c) => Bf16Attention.Run(a, b, c, mask?.contiguous(), causal: true), q, k, v, dOut);
        var twin = AttentionPass((a, b, c) => F.scaled_dot_product_attention(a, b, c, mask, 0.0, mask is null), q, k, v, dOut);

        // Bf16AttentionTests bounds each of them against fp32 attention by 2⁻⁸·(5 + 2·max|scale·q·kᵀ|): the kernel rounds
        // scores, probabilities, their gradient and each tile's products to bf16; libtorch's bf16 attention rounds its
        // probabilities for the product with v and its results once. So they are within twice that of each other.
        using var scores = q.to_type(ScalarType.Float32).matmul(k.to_type(ScalarType.Float32).transpose(-2, -1)) / Math.Sqrt(dim);
        double bound = 2 * Tolerances.Bf16 * (5 + 2 * scores.abs().max().item<float>());
        Tolerances.AssertClose(kernel.O, twin.O, bound, "output");
        Tolerances.AssertClose(kernel.Dq, twin.Dq, bound, "dq");
        Tolerances.AssertClose(kernel.Dk, twin.Dk, bound, "dk");
        Tolerances.AssertClose(kernel.Dv, twin.Dv, bound, "dv");
    }

    private static (Tensor O, Tensor Dq, Tensor Dk, Tensor Dv) AttentionPass(Func<Tensor, Tensor, Tensor, Tensor> attention, Tensor q, Tensor k, Tensor v, Tensor dOut)
    {
        Tensor Leaf(Tensor x) => x.detach().clone().requires_grad_(true);
        var (q1, k1, v1) = (Leaf(q), Leaf(k), Leaf(v));
        var o = attention(q1, k1, v1);
        o.backward([dOut]);
        return (o.detach(), q1.grad!, k1.grad!, v1.grad!);
    }

    [Fact]
    public void WithTheTwinsATrainingModelAttendsAsInEvaluation()
    {
        // The twin of training attention is the kernel evaluation uses: with the twins, train and eval mode compute
        // the same operations, so a bf16 model's logits agree bit for bit (the C# kernels would differ in rounding).
        using var model = Sift.Tests.Models.CausalLMTests.TinyModel(dtype: ScalarType.BFloat16);
        using var ids = tensor(new long[,] { { 3, 9, 4, 33, 21, 7, 7, 2 }, { 0, 0, 5, 6, 1, 9, 11, 13 } });
        using var layout = AttentionLayout.Padded(tensor(new long[,] { { 1, 1, 1, 1, 1, 1, 1, 1 }, { 0, 0, 1, 1, 1, 1, 1, 1 } }));
        using var _ = no_grad();
        using var twins = KernelChoice.TwinsOnly();
        model.eval();
        using var evaluation = model.Forward(ids, layout);
        model.train();
        using var training = model.Forward(ids, layout);
        Assert.True(evaluation.Logits!.eq(training.Logits!).all().item<bool>());
    }
}

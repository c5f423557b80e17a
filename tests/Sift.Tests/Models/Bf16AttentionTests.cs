using Sift.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Tests.Models;

/// <summary>
/// bf16 training attention (<see cref="Bf16Attention"/>) against fp32 scaled_dot_product_attention with
/// autograd on the same bf16 inputs: output and q/k/v gradients, causal, with padding and packing masks,
/// and with the batch split into slices. Then through the model: a bf16 model in training mode (this
/// path) against the same model in eval mode (libtorch's kernel).
/// </summary>
public class Bf16AttentionTests
{
    private const int Batch = 3, Heads = 2, Dim = 16;

    private static (Tensor Q, Tensor K, Tensor V, Tensor DOut) Inputs(int t)
    {
        var g = new Generator(11);
        Tensor Draw(double scale) => (randn([Batch, Heads, t, Dim], generator: g) * scale).to_type(ScalarType.BFloat16);
        return (Draw(1.5), Draw(1.5), Draw(1), Draw(1));
    }

    private static (Tensor O, Tensor Dq, Tensor Dk, Tensor Dv) Gradients(Func<Tensor, Tensor, Tensor, Tensor> attention, Tensor q, Tensor k, Tensor v, Tensor dOut, ScalarType dtype)
    {
        Tensor Leaf(Tensor x) => x.detach().to_type(dtype).clone().requires_grad_(true);
        var (q1, k1, v1) = (Leaf(q), Leaf(k), Leaf(v));
        var o = attention(q1, k1, v1);
        o.backward([dOut.to_type(dtype)]);
        return (o.detach(), q1.grad!, k1.grad!, v1.grad!);
    }

    private static Tensor PerPosition(int t, Func<int, int, long> value) =>
        tensor(Enumerable.Range(0, Batch * t).Select(i => value(i / t, i % t)).ToArray()).reshape(Batch, t);

    // 300 positions: causal tiles of 256 queries and 44 (QueryBlock); rows of keys with vector loops and tails.
    public static TheoryData<string, bool, long> Layouts => new()
    {
        { "causal", true, Bf16Attention.MaxScoreElements },
        { "causal", true, Heads * 300 * 300 }, // one batch row per slice
        { "padded", true, Bf16Attention.MaxScoreElements }, // as the model calls it: mask and causal
        { "padded", false, Bf16Attention.MaxScoreElements }, // the mask alone, every key of a row
        { "packed", true, 2 * Heads * 300 * 300 }, // slices of two rows, then one
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void OutputAndGradientsTrackFp32Attention(string layout, bool causal, long sliceElements)
    {
        const int t = 300;
        var (q, k, v, dOut) = Inputs(t);
        Tensor? mask = layout switch
        {
            // Row 0 full, row 1 left-padded by 5, row 2 right-padded by 8.
            "padded" => AttentionLayout.Padded(PerPosition(t, (r, i) => r == 1 ? (i >= 5 ? 1 : 0) : r == 2 ? (i < t - 8 ? 1 : 0) : 1)).Mask,
            // Row 0: three examples; row 1: one; row 2: two, then 4 padding positions.
            "packed" => AttentionLayout.Packed(PerPosition(t, (r, i) => r == 0 ? 1 + i / 120 : r == 1 ? 1 : i < 140 ? 1 : i < t - 4 ? 2 : 0)).Mask,
            _ => null,
        };
        var ours = Gradients((a, b, c) => Bf16Attention.Run(a, b, c, mask, causal, sliceElements), q, k, v, dOut, ScalarType.BFloat16);
        // SDPA takes a mask or causal; the layouts' masks are causal already.
        var reference = Gradients((a, b, c) => F.scaled_dot_product_attention(a, b, c, mask, 0.0, mask is null), q, k, v, dOut, ScalarType.Float32);

        // The scores q·kᵀ, the probabilities, the probabilities' gradient, each tile's product and (for k and v)
        // their sum are rounded to bf16 (2⁻⁸ relative each) where the reference keeps fp32; an error δ in the
        // scaled scores moves the softmax by up to 2δ relative. So each result is within 2⁻⁸·(5 + 2·max|scale·q·kᵀ|)
        // of its scale. A wrong mask, scale or missing term changes them by O(1).
        using var scores = q.to_type(ScalarType.Float32).matmul(k.to_type(ScalarType.Float32).transpose(-2, -1)) / Math.Sqrt(Dim);
        double bound = Tolerances.Bf16 * (5 + 2 * scores.abs().max().item<float>());
        Tolerances.AssertClose(reference.O, ours.O, bound, "output");
        Tolerances.AssertClose(reference.Dq, ours.Dq, bound, "dq");
        Tolerances.AssertClose(reference.Dk, ours.Dk, bound, "dk");
        Tolerances.AssertClose(reference.Dv, ours.Dv, bound, "dv");
    }

    [Fact]
    public void ABf16ModelInTrainingModeTracksItselfInEvalMode()
    {
        using var model = CausalLMTests.TinyModel(dtype: ScalarType.BFloat16);
        using var ids = tensor(new long[,] { { 3, 9, 4, 33, 21, 7, 7, 2 }, { 0, 0, 5, 6, 1, 9, 11, 13 } });
        using var layout = AttentionLayout.Padded(tensor(new long[,] { { 1, 1, 1, 1, 1, 1, 1, 1 }, { 0, 0, 1, 1, 1, 1, 1, 1 } }));
        using var _ = no_grad();
        model.eval();
        using var sdpa = model.Forward(ids, layout);
        model.train();
        using var ours = model.Forward(ids, layout);
        // Two bf16 evaluations of the same logits, each within the loose bf16 bound Bf16ModelTracksFp32Model uses.
        var scale = sdpa.Logits!.to_type(ScalarType.Float32).abs().max().item<float>();
        var diff = (ours.Logits!.to_type(ScalarType.Float32) - sdpa.Logits!.to_type(ScalarType.Float32))[1, 2..].abs().max().item<float>();
        var first = (ours.Logits!.to_type(ScalarType.Float32) - sdpa.Logits!.to_type(ScalarType.Float32))[0].abs().max().item<float>();
        Assert.True(Math.Max(diff, first) < 0.05 * scale, $"training-mode bf16 logits differ from eval-mode ones by {Math.Max(diff, first)} (scale {scale})");
    }
}

using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Tests;

/// <summary>
/// Tolerances of the numeric tests, derived from the arithmetic rather than tuned. A comparison is
/// either exact by construction (then the test compares bits) or bounded by one of these. The
/// bounds are worst-case (Higham, <i>Accuracy and Stability of Numerical Algorithms</i>, §3–4):
/// they hold for any summation order, so for AVX2 and AVX-512 kernels (which block sums
/// differently), any thread count and any batch shape.
/// <para>
/// Note on xUnit's <c>Assert.Equal(double, double, int precision)</c>: it rounds both values to that
/// many decimals and compares the rounded values, so two results one ulp apart fail whenever they
/// straddle a rounding boundary. Tests use an absolute tolerance (<c>Assert.Equal(a, b, tol)</c>)
/// or exact equality instead.
/// </para>
/// </summary>
internal static class Tolerances
{
    /// <summary>Unit roundoff of float32 (round to nearest): u = 2⁻²⁴.</summary>
    public const double Fp32 = 1.0 / (1 << 24);

    /// <summary>Unit roundoff of bfloat16 (8 significand bits): 2⁻⁸ relative precision per rounding.</summary>
    public const double Bf16 = 1.0 / (1 << 8);

    /// <summary>Unit roundoff of float64: 2⁻⁵³.</summary>
    public const double Fp64 = 1.0 / (1L << 53);

    /// <summary>
    /// Relative bound for two fp32 evaluations of an n-term sum (or dot product) in different orders:
    /// each is within γₙ ≈ n·u of the exact sum, relative to Σ|terms|, so they differ by at most
    /// 2·n·u·Σ|terms|.
    /// </summary>
    public static double Fp32Sum(int n) => 2 * n * Fp32;

    /// <summary>
    /// Length of the longest chain of sums one logit of a Llama forward depends on, summed over the
    /// chain: per layer the input RMSNorm (hidden), q/k/v projections (hidden), the scores (head_dim),
    /// the softmax denominator and the weighted sum of values (positions each), o_proj (hidden), the
    /// post-attention RMSNorm (hidden), gate/up (hidden) and down_proj (intermediate); then the final
    /// norm (hidden), the head (hidden) and the logsumexp of a log-softmax (vocab). Rounding errors
    /// along a chain add, so two orders of the forward differ by at most <see cref="Fp32Sum"/> of this
    /// length times the magnitudes involved, assuming the layers do not amplify errors (the test models
    /// are initialised with small weights and every block is renormalised by an RMSNorm, so each map
    /// is well-conditioned; a single ill-conditioned step would show up as a far larger difference).
    /// </summary>
    public static int ForwardChain(ModelConfig c, int positions) =>
        c.NumLayers * (6 * c.HiddenSize + c.HeadDim + 2 * positions + c.IntermediateSize)
        + 2 * c.HiddenSize + c.VocabSize;

    /// <summary>
    /// Relative bound between two fp32 forwards of the same model that differ only in summation order
    /// (batching, padding, chunking, KV cache, SIMD width, threads): <see cref="Fp32Sum"/> of
    /// <see cref="ForwardChain"/>. Applied to logits and per-token NLLs (which are O(1) in the test
    /// models, so it is used as an absolute bound scaled by max(1, |value|)).
    /// </summary>
    public static double Fp32Forward(ModelConfig c, int positions) => Fp32Sum(ForwardChain(c, positions));

    /// <summary>
    /// <see cref="Fp32Forward"/> for a model with LoRA of rank <paramref name="r"/> on its projections. An
    /// adapted projection adds x·Aᵀ (the same in-features sum as the base projection, in parallel with it),
    /// then ·Bᵀ (r terms), the scaling and the sum with the base output: r + 2 more on its chain. A chain
    /// crosses at most four projections per layer (one of q/k/v, o, one of gate/up, down).
    /// </summary>
    public static double Fp32LoraForward(ModelConfig c, int positions, int r) =>
        Fp32Sum(ForwardChain(c, positions) + c.NumLayers * 4 * (r + 2));

    /// <summary>
    /// Relative bound between two fp32 gradients of a mean NLL over <paramref name="rows"/>·<paramref name="positions"/>
    /// tokens (or an fp32 and a float64 one): the forward's chain (<see cref="ForwardChain"/>), then the backward
    /// pass, which evaluates the same sums again transposed (same inner dimensions, in reverse order), and for a
    /// weight the sum of its per-position outer products (rows·positions terms): <see cref="Fp32Sum"/> of
    /// 2·ForwardChain + rows·positions, assuming as there that no layer amplifies errors. The roundings are
    /// relative to the terms' magnitudes: dL/dlogits = (softmax − onehot)/N has terms of size ≤ 1/N on each of the
    /// N trained rows, activations are RMS-normalised and the weights are O(1) (the tiny fixture models draw them
    /// ~N(0, 1/fan_in)), so the terms behind every gradient element are O(1) at most. The bound is therefore
    /// applied as an absolute one scaled by max(1, max|g|) (<see cref="AssertClose"/>), not relative to each
    /// gradient's own size, which cancellation in softmax − onehot can make far smaller than its terms (stories260K
    /// predicts its prompt with loss 0.006: its gradients are ~1e-2 while their terms stay O(1)).
    /// </summary>
    public static double Fp32Gradient(ModelConfig c, int rows, int positions) =>
        Fp32Sum(2 * ForwardChain(c, positions) + rows * positions);

    /// <summary>The tiny test model's (<c>CausalLMTests.TinyConfig</c>) forward bound for up to 32 positions.</summary>
    public static double TinyForward => Fp32Forward(Sift.Tests.Models.CausalLMTests.TinyConfig(), 32);

    /// <summary>
    /// Bound of a value computed in fp32 and compared with the same value computed in float64 from the
    /// same inputs (hand-computed expectations): the fp32 result is within a few roundings of the exact
    /// value, k·u relative, where k counts the roundings on its longest chain.
    /// </summary>
    public static double Fp32Against64(int roundings, double magnitude) => roundings * Fp32 * Math.Max(1, Math.Abs(magnitude));

    /// <summary>Absolute bound from a relative one, for values of order one or larger.</summary>
    public static double Scaled(double relative, double value) => relative * Math.Max(1, Math.Abs(value));

    /// <summary>
    /// Asserts max|actual − expected| ≤ relative · max(1, max|expected|): the bounds above are relative to
    /// the magnitude of the terms summed (Σ|x|), which is the scale of the tensor rather than of each
    /// element, so elements that cancel to near zero are held to the tensor's scale, not their own.
    /// </summary>
    public static void AssertClose(Tensor expected, Tensor actual, double relative, string what = "")
    {
        using var expectedData = expected.detach();
        using var actualData = actual.detach();
        using var e = expectedData.to_type(ScalarType.Float64);
        using var a = actualData.to_type(ScalarType.Float64);
        using var negated = e.neg(); // exact
        using var difference = Sift.Native.Scalars.Plus(a, negated); // a held alpha, no temporary Scalar
        using var magnitude = difference.abs();
        using var d = magnitude.max();
        using var absolute = e.abs();
        using var m = absolute.max();
        double diff = d.item<double>(), bound = relative * Math.Max(1, m.item<double>());
        Assert.True(diff <= bound, $"{what}: max |diff| {diff:E3} exceeds {bound:E3}");
    }

    /// <summary>
    /// Bound on Σ of per-token NLLs when each token's NLL comes from fp32 forwards that differ by the
    /// relative bound <paramref name="forward"/> (e.g. <see cref="Fp32Forward"/>): forward·max(1, nllₜ) per
    /// token, added up. Divide by the count for the mean; for exp(mean) multiply by the value.
    /// </summary>
    public static double NllSum(IEnumerable<double> nll, double forward) => forward * nll.Sum(x => Math.Max(1, x));

    /// <summary><see cref="NllSum"/> divided by the number of tokens: the bound on a mean NLL (a loss).</summary>
    public static double NllMean(IReadOnlyCollection<double> nll, double forward) => NllSum(nll, forward) / nll.Count;
}

using Sift.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sift.Tests.Training;

public class FusedAdamWTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sift-adamw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Sizes that leave vector tails and span several 8,192-element chunks.
    private static readonly long[][] Shapes = [[37, 301], [19_999], [3]];

    private static List<Parameter> Parameters(int seed, ScalarType dtype = ScalarType.Float32)
    {
        var g = new Generator((ulong)seed);
        return Shapes.Select(s => new Parameter(randn(s, generator: g).to_type(dtype))).ToList();
    }

    private static List<Tensor> Gradients(int seed) => Shapes.Select(s => randn(s, generator: new Generator((ulong)(seed * 31 + s[0])))).ToList();

    private static FusedAdamW Fused(IReadOnlyList<Parameter> masters, IReadOnlyList<Parameter>? models = null) =>
        new(masters.Select((p, i) => new FusedAdamW.Entry($"p{i}", p, (models ?? masters)[i], p.dim() >= 2 ? 0.1 : 0.0)), 0.9, 0.95, 1e-8);

    [Fact]
    public void MatchesTorchSharpsAdamWOverSeveralStepsWithDecayAndNoDecayGroups()
    {
        var reference = Parameters(1);
        var ours = Parameters(1);
        using var adamw = optim.AdamW([
            new AdamW.ParamGroup(reference.Where(p => p.dim() >= 2), new AdamW.Options { weight_decay = 0.1 }),
            new AdamW.ParamGroup(reference.Where(p => p.dim() < 2), new AdamW.Options { weight_decay = 0.0 })], 1e-2, 0.9, 0.95, 1e-8);
        using var fused = Fused(ours);
        for (int step = 0; step < 6; step++)
        {
            double lr = 1e-2 * (1 - step / 10.0);
            var grads = Gradients(step);
            for (int i = 0; i < grads.Count; i++) { reference[i].grad = grads[i].clone(); ours[i].grad = grads[i].clone(); }
            foreach (var group in adamw.ParamGroups) group.LearningRate = lr;
            adamw.step();
            fused.Step(lr, 1.0);
        }
        // Same gradients, same formula, different operation order: each of the 6 steps rounds w and the
        // update a few times, ≤ 4u·|w| + 8u·lr·|m̂/(√v̂+ε)|, and with β₁ = 0.9, β₂ = 0.95 the ratio is at most
        // 0.1/√0.05·Σₖ(0.9/√0.95)ᵏ < 6 (gradients are identical on both sides, so ε's ill-conditioning near
        // g = 0 does not enter). So rtol 6·4u ≈ 1.4e-6 and atol ≪ 1e-6 suffice; 1e-5 / 1e-6 keep a margin.
        // The bugs this catches (bias correction, decay on the wrong group) move w by ~lr·wd·|w| = 1e-3·|w|
        // per step, 100× rtol.
        for (int i = 0; i < ours.Count; i++)
            Assert.True(ours[i].allclose(reference[i], rtol: 1e-5, atol: 1e-6), $"parameter {i}: max |diff| {(ours[i] - reference[i]).abs().max().item<float>()}");
        Assert.Equal(6, fused.Steps);
    }

    [Fact]
    public void FirstStepEqualsTheHandComputedUpdate()
    {
        // Step 1: m = (1−β1)g, v = (1−β2)g², so m/bc1 = g and √(v/bc2) = |g|: the update is
        // lr·g/(|g| + ε) after decaying p by (1 − lr·wd). With lr 0.1, wd 0.1, p = 1:
        // g = 0.5 → 0.99 − 0.1·0.5/0.50000001; g = −2 → 0.99 + 0.1·2/2.00000001; g = 0 → 0.99.
        var p = new Parameter(ones(3));
        p.grad = tensor(new[] { 0.5f, -2f, 0f });
        using var fused = new FusedAdamW([new FusedAdamW.Entry("w", p, p, 0.1)], 0.9, 0.999, 1e-8);
        fused.Step(0.1, 1.0);
        var expected = new[] { 0.99 - 0.1 * 0.5 / (0.5 + 1e-8), 0.99 + 0.1 * 2 / (2 + 1e-8), 0.99 };
        var got = p.data<float>().ToArray();
        // fp32: decay, |g| + ε, a division, a product and two subtractions, under 8 roundings of |p| ≤ 1.
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], got[i], Tolerances.Fp32Against64(8, 1));
        Assert.Equal(0f, p.grad!.abs().max().item<float>());
    }

    [Fact]
    public void GradientNormIsTheGlobalL2NormInDoublePrecision()
    {
        var ps = Parameters(2);
        var grads = Gradients(3);
        for (int i = 0; i < ps.Count; i++) ps[i].grad = grads[i].clone();
        using var fused = Fused(ps);
        double expected = cat(grads.Select(g => g.reshape(-1).to_type(ScalarType.Float64)).ToList()).norm().item<double>();
        // Both sum the same squares in float64, in different orders: Fp64 rounding of an n-term sum.
        long n = grads.Sum(g => g.numel());
        Assert.Equal(expected, fused.GradientNorm(), 2 * n * Tolerances.Fp64 * expected);
    }

    [Fact]
    public void ClipScaleIsClipGradNormsFactor()
    {
        Assert.Equal(1.0 / (4.0 + 1e-6), Trainer.ClipScale(4.0, 1.0)); // the same two float64 operations: exact
        Assert.Equal(1.0, Trainer.ClipScale(0.5, 1.0));
        Assert.Equal(1.0, Trainer.ClipScale(1e9, 0.0));
        var ours = Parameters(4);
        var reference = Parameters(4);
        var grads = Gradients(5);
        for (int i = 0; i < ours.Count; i++) { ours[i].grad = grads[i].clone(); reference[i].grad = grads[i].clone(); }
        double torchNorm = nn.utils.clip_grad_norm_(reference, 1.0);
        using var fused = Fused(ours);
        double norm = fused.GradientNorm();
        // clip_grad_norm_ sums the n squares in fp32 (relative error Fp32Sum(n), halved by the square root);
        // ours sums them in float64. A missing tensor or a wrong power changes the norm by percents.
        long n = grads.Sum(g => g.numel());
        Assert.True(Math.Abs(norm - torchNorm) <= Tolerances.Fp32Sum((int)n) * norm, $"{norm} vs clip_grad_norm_'s {torchNorm}");
        using var plain = Fused(reference); // steps on the gradients clip_grad_norm_ already scaled
        fused.Step(1e-3, Trainer.ClipScale(norm, 1.0));
        plain.Step(1e-3, 1.0);
        // One step from the same gradients, scaled once in fp32 (torch) or inside the update (ours): a few
        // roundings of w (|w| ≤ 5, so rtol 16u ≈ 1e-6) and of the lr-sized update (atol 16u·lr ≈ 1e-9, taken 1e-7).
        // An unclipped step differs by lr·(1 − scale)-sized amounts, orders larger.
        for (int i = 0; i < ours.Count; i++) Assert.True(ours[i].allclose(reference[i], rtol: 1e-6, atol: 1e-7));
    }

    [Fact]
    public void Bf16ModelWithFp32MastersReadsBf16GradientsAndGetsTheRoundedMasters()
    {
        var masters = Parameters(6);
        var models = masters.Select(m => new Parameter(m.detach().to_type(ScalarType.BFloat16))).ToList();
        var reference = Parameters(6);
        var grads = Gradients(7).Select(g => g.to_type(ScalarType.BFloat16)).ToList();
        for (int i = 0; i < grads.Count; i++) { models[i].grad = grads[i].clone(); reference[i].grad = grads[i].to_type(ScalarType.Float32); }
        using (var fused = Fused(masters, models)) fused.Step(1e-2, 1.0);
        using (var plain = Fused(reference)) plain.Step(1e-2, 1.0);
        for (int i = 0; i < masters.Count; i++)
        {
            Assert.True(masters[i].eq(reference[i]).all().item<bool>(), $"master {i}");
            Assert.True(models[i].eq(masters[i].to_type(ScalarType.BFloat16)).all().item<bool>(), $"model {i}");
            Assert.Equal(0f, models[i].grad!.abs().max().to_type(ScalarType.Float32).item<float>());
        }
    }

    [Fact]
    public void PureBf16ComputesInFloat32AndRoundsOnce()
    {
        var ps = Parameters(8, ScalarType.BFloat16);
        var reference = ps.Select(p => new Parameter(p.detach().to_type(ScalarType.Float32))).ToList();
        var grads = Gradients(9).Select(g => g.to_type(ScalarType.BFloat16)).ToList();
        for (int i = 0; i < grads.Count; i++) { ps[i].grad = grads[i].clone(); reference[i].grad = grads[i].to_type(ScalarType.Float32); }
        using (var fused = Fused(ps)) fused.Step(1e-2, 1.0);
        using (var plain = Fused(reference)) plain.Step(1e-2, 1.0);
        for (int i = 0; i < ps.Count; i++)
            Assert.True(ps[i].eq(reference[i].to_type(ScalarType.BFloat16)).all().item<bool>(), $"parameter {i}");
    }

    [Fact]
    public void AParameterWithoutAGradientIsDecayedAndKeepsItsMoments()
    {
        var p = new Parameter(full(5, 2f));
        using var fused = new FusedAdamW([new FusedAdamW.Entry("w", p, p, 0.5)], 0.9, 0.999, 1e-8);
        fused.Step(0.1, 1.0);
        Assert.True(p.allclose(full(5, 2f * (1 - 0.1 * 0.5))));
    }

    [Fact]
    public void SavedAndLoadedStateContinuesBitIdentically()
    {
        var straight = Parameters(10);
        var resumed = Parameters(10);
        using var a = Fused(straight);
        var first = Fused(resumed);
        var path = Path.Combine(_dir, "optimizer.safetensors");
        for (int step = 0; step < 5; step++)
        {
            var grads = Gradients(20 + step);
            for (int i = 0; i < grads.Count; i++) { straight[i].grad = grads[i].clone(); resumed[i].grad = grads[i].clone(); }
            a.Step(1e-2, 0.7);
            if (step < 2) first.Step(1e-2, 0.7);
            else
            {
                if (step == 2) { first.Save(path); first.Dispose(); first = Fused(resumed); first.Load(path); Assert.Equal(2, first.Steps); }
                first.Step(1e-2, 0.7);
            }
        }
        first.Dispose();
        for (int i = 0; i < straight.Count; i++) Assert.True(straight[i].eq(resumed[i]).all().item<bool>(), $"parameter {i}");
    }

    [Fact]
    public void LoadRejectsMissingOrMismatchedStateNamingTheFile()
    {
        var path = Path.Combine(_dir, "optimizer.safetensors");
        var small = new Parameter(zeros(4)); // the saved state is for a 4-element p0 only
        using (var other = new FusedAdamW([new FusedAdamW.Entry("p0", small, small, 0)], 0.9, 0.999, 1e-8)) other.Save(path);
        using var fused = Fused(Parameters(11));
        var e = Assert.Throws<SiftException>(() => fused.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("p0", e.Message);
        e = Assert.Throws<SiftException>(() => fused.Load(Path.Combine(_dir, "absent.safetensors")));
        Assert.Contains("absent.safetensors", e.Message);
        Assert.Equal(0, fused.Steps);
    }
}

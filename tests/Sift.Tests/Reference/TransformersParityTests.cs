using Sift.Data;
using Sift.Data.Batching;
using Sift.Generation;
using Sift.Models;
using Sift.Models.Safetensors;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Tests.Reference;

/// <summary>
/// Sift against Hugging Face transformers itself: tests/data/reference/&lt;variant&gt;/transformers.safetensors, made
/// by make_transformers_reference.py with transformers 5.17 and torch 2.11 in float64 on the CPU (eager
/// attention). Forward logits and hidden states, greedy decoding, the SFT loss with the first 3 label positions
/// masked, its gradients through Sift's own training loss path (<see cref="NextTokenObjective"/>), and one step of
/// Sift's optimizer (<see cref="FusedAdamW"/>) against torch.optim.AdamW. transformers computes the RoPE angles in
/// fp32 even in a float64 model, exactly as Sift's <see cref="RotaryEmbedding"/> does, so the differences below
/// are Sift's fp32 roundings. ReferenceFixtureTests checks the files themselves.
/// </summary>
public class TransformersParityTests
{
    public static TheoryData<string> Variants => new() { "llama-gqa", "llama3-rope", "qwen2-bias", "smollm-tied", "mistral", "headdim", "llama-bf16", "stories260k" };

    /// <summary>The variants with gradients and an AdamW step in the fixture.</summary>
    public static TheoryData<string> TrainVariants => new() { "llama-gqa", "qwen2-bias", "smollm-tied", "stories260k" };

    /// <summary>torch.optim.AdamW's settings in make_transformers_reference.py.</summary>
    private const double Lr = 1e-2, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8, WeightDecay = 0.1;

    private static string Dir(string variant) => Path.Combine(Paths.TestData, "reference", variant);

    private static string ModelDir(string variant) => variant == "stories260k" ? Paths.Asset("models", "stories260K-hf") : Dir(variant);

    /// <summary>In fp32 (llama-bf16's weights upcast, as transformers upcast them to float64).</summary>
    private static CausalLM Load(string variant) => ModelFolder.Load(ModelDir(variant), ScalarType.Float32);

    private static Dictionary<string, Tensor> Fixture(string variant) => SafetensorsFile.Load(Path.Combine(Dir(variant), "transformers.safetensors"));

    /// <summary>
    /// One example per row: Trained[p] is labels[r, p] ≠ −100, Sift's form of HF's (unshifted) labels; TokenBatch
    /// then shifts them into next-token targets.
    /// </summary>
    private static List<TokenizedExample> Examples(Tensor inputIds, Func<int, int, bool> trained)
    {
        int rows = (int)inputIds.shape[0], t = (int)inputIds.shape[1];
        var ids = inputIds.data<long>().ToArray();
        return Enumerable.Range(0, rows).Select(r => new TokenizedExample($"row{r}",
            ids.Skip(r * t).Take(t).Select(i => (int)i).ToArray(),
            Enumerable.Range(0, t).Select(p => trained(r, p)).ToArray())).ToList();
    }

    private static List<TokenizedExample> Examples(Dictionary<string, Tensor> fixture)
    {
        var labels = fixture["labels"];
        long t = labels.shape[1];
        var values = labels.data<long>().ToArray();
        return Examples(fixture["input_ids"], (r, p) => values[r * t + p] != TokenBatch.Ignore);
    }

    /// <summary>Sift's SFT loss as the trainer computes it: one micro-batch that is the whole optimizer step.</summary>
    private static ObjectiveResult Loss(CausalLM model, TokenBatch batch, List<TokenizedExample> examples) =>
        new NextTokenObjective().Compute(model, batch, new StepContext(0, [examples], new Generator(0)));

    /// <summary>HF's per-target NLLs token_nll[r, t] (target labels[r, t + 1]) where the given mask trains that target.</summary>
    private static List<double> TargetNll(Dictionary<string, Tensor> fixture, Func<int, int, bool> trained)
    {
        var nll = fixture["token_nll"];
        long targets = nll.shape[1];
        var values = nll.data<double>().ToArray();
        return Enumerable.Range(0, (int)nll.shape[0]).SelectMany(r => Enumerable.Range(0, (int)targets)
            .Where(t => trained(r, t + 1)).Select(t => values[r * targets + t])).ToList();
    }

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a.detach().to_type(ScalarType.Float64) - b.detach().to_type(ScalarType.Float64)).abs().max().item<double>();
    }

    /// <summary>
    /// The fixture is float64 except for the RoPE angles, which transformers and Sift both compute in fp32, so the
    /// difference is Sift's own fp32 rounding: within Tolerances.Fp32Forward (the bound for two fp32 forwards,
    /// twice what one fp32 forward against float64 needs) of the logits' scale. Measured: up to 7.6e-6 on
    /// stories260K's logits (scale 19) and 2.9e-6 on the tiny models', against bounds of 8e-3 and 7e-4 to 9e-4. A wrong RoPE
    /// variant, bias or head layout moves logits by O(0.1) of their scale or more.
    /// </summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void ForwardAndGreedyMatchTransformers(string variant)
    {
        using var scope = NewDisposeScope();
        using var model = Load(variant);
        var fixture = Fixture(variant);
        double bound = Tolerances.Fp32Forward(model.Config, (int)fixture["input_ids"].shape[1]);
        using (no_grad())
        {
            using var output = model.Forward(fixture["input_ids"]);
            Tolerances.AssertClose(fixture["logits"], output.Logits!, bound, $"{variant} logits");
            Tolerances.AssertClose(fixture["hidden"], output.Hidden, bound, $"{variant} hidden");
        }
        // transformers' generate(do_sample=False): greedy from input_ids[0] with a KV cache, as Sift's generator.
        // make_reference.py checked every step's top-1 margin is ≥ 0.02, far above these logit bounds.
        var prompt = fixture["input_ids"][0].data<long>().Select(i => (int)i).ToArray();
        var greedy = fixture["greedy_ids"][0].data<long>().Select(i => (int)i).ToArray();
        Assert.Equal(greedy, TextGenerator.Generate(model, prompt, greedy.Length, new SamplingOptions(), new HashSet<int>()).ToArray());
    }

    /// <summary>
    /// transformers (float64, RoPE angles in fp32) against the repository's own float64 reference
    /// (expected.safetensors, make_reference.py, which computes the angles in float64): the only difference is the
    /// angles' fp32 roundings, a subset of an fp32 forward's, so Tolerances.Fp32Forward bounds it (loosely: measured
    /// ≤ 1.2e-6 on the tiny models and 2.0e-6 on stories260K, both files stored as fp32).
    /// </summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void TransformersAgreesWithTheOwnFloat64Reference(string variant)
    {
        using var scope = NewDisposeScope();
        var fixture = Fixture(variant);
        var own = SafetensorsFile.Load(Path.Combine(Dir(variant), "expected.safetensors"));
        var config = ModelConfig.Load(ModelDir(variant));
        double bound = Tolerances.Fp32Forward(config, (int)own["input_ids"].shape[1]);
        Assert.True(fixture["input_ids"].Same(own["input_ids"]));
        Tolerances.AssertClose(own["logits"], fixture["logits"], bound, $"{variant} logits");
        Tolerances.AssertClose(own["hidden"], fixture["hidden"], bound, $"{variant} hidden");
        Assert.True(fixture["greedy_ids"].Same(own["greedy_ids"]), $"{variant} greedy ids");
    }

    /// <summary>
    /// HF shifts labels inside the model and averages the NLL over every target that is not −100, across the
    /// batch. Sift's NextTokenObjective marks trained tokens (TokenizedExample.Trained), shifts them into targets in
    /// TokenBatch, and divides the summed NLL by the step's trained-token count: the same mean. Each target's NLL
    /// is within Tolerances.Fp32Forward of its float64 value (per token, scaled by max(1, nll)), so the mean is within
    /// Tolerances.NllMean; Sift returns the loss as fp32, one more rounding (u·loss). Measured ≤ 8.1e-7
    /// (stories260K, loss 0.0064) against bounds of 4e-4 and more. Per example, the NLL sums are bounded by NllSum.
    /// </summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void LossWithTheMaskedPromptIsTransformersMeanOverTrainedTokens(string variant)
    {
        using var scope = NewDisposeScope();
        using var model = Load(variant);
        var fixture = Fixture(variant);
        var examples = Examples(fixture);
        using var batch = TokenBatch.Padded(examples);
        // Sift's targets are HF's labels shifted left by one, −100 after the last token.
        var labels = fixture["labels"];
        long t = labels.shape[1];
        Assert.True(batch.Targets[.., ..(int)(t - 1)].Same(labels[.., 1..]));
        Assert.True(batch.Targets[.., -1].eq(TokenBatch.Ignore).all().item<bool>());

        ObjectiveResult result;
        using (no_grad()) result = Loss(model, batch, examples);
        var nll = TargetNll(fixture, (r, p) => examples[r].Trained[p]);
        double expected = fixture["loss"].item<double>(), loss = result.Loss.item<float>();
        double forward = Tolerances.Fp32Forward(model.Config, (int)t);
        Assert.Equal(expected, loss, Tolerances.NllMean(nll, forward) + Tolerances.Fp32 * expected);

        var perRow = fixture["token_nll"];
        for (int r = 0; r < examples.Count; r++)
        {
            var rowNll = TargetNll(fixture, (row, p) => row == r && examples[r].Trained[p]);
            Assert.Equal(rowNll.Count, result.Examples[r].Tokens);
            Assert.Equal(perRow[r].sum().item<double>(), result.Examples[r].NllSum, Tolerances.NllSum(rowNll, forward));
        }
    }

    /// <summary>
    /// The fixture's two rows train 6 tokens each, where a mean over tokens and a mean of per-example means agree.
    /// Here row 0 trains its 6 and row 1 only its last 2 (the per-target NLLs do not depend on the mask, so
    /// token_nll gives both conventions): Sift's loss must be HF's token mean, within the bound above, and the
    /// per-example mean differs from it by far more than that bound.
    /// </summary>
    [Fact]
    public void LossAveragesOverTrainedTokensNotOverExamples()
    {
        using var scope = NewDisposeScope();
        using var model = Load("llama-gqa");
        var fixture = Fixture("llama-gqa");
        long t = fixture["input_ids"].shape[1];
        bool Trained(int r, int p) => r == 0 ? p >= 3 : p >= t - 2;
        var examples = Examples(fixture["input_ids"], Trained);
        using var batch = TokenBatch.Padded(examples);
        ObjectiveResult result;
        using (no_grad()) result = Loss(model, batch, examples);

        var nll = TargetNll(fixture, Trained);
        var row0 = TargetNll(fixture, (r, p) => r == 0 && Trained(r, p));
        var row1 = TargetNll(fixture, (r, p) => r == 1 && Trained(r, p));
        Assert.Equal((6, 2), (row0.Count, row1.Count));
        double tokenMean = nll.Average(), exampleMean = (row0.Average() + row1.Average()) / 2;
        double bound = Tolerances.NllMean(nll, Tolerances.Fp32Forward(model.Config, (int)t)) + Tolerances.Fp32 * tokenMean;
        Assert.Equal(tokenMean, result.Loss.item<float>(), bound);
        Assert.True(Math.Abs(tokenMean - exampleMean) > 10 * bound, $"the two conventions differ by only {Math.Abs(tokenMean - exampleMean)}");
    }

    /// <summary>
    /// The gradient of the loss above with respect to every parameter, through Sift's real path (the fused,
    /// chunked LM head + cross entropy with its precomputed gradients, then autograd through the model), against
    /// the fp32-rounded float64 gradient from torch's autograd. Sift's parameter names are the HF state-dict names;
    /// tied models have only the embedding. Bound: Tolerances.Fp32Gradient (see there for why it is absolute).
    /// Measured: ≤ 3.6e-7 against bounds of 2e-4 to 8e-4. Wrong normalisation (per example, or by B·T) changes the
    /// gradients by tens of percent, a missing term by their full size.
    /// </summary>
    [Theory]
    [MemberData(nameof(TrainVariants))]
    public void GradientsThroughTheTrainingLossMatchTransformers(string variant)
    {
        using var scope = NewDisposeScope();
        using var model = Load(variant);
        var fixture = Fixture(variant);
        var examples = Examples(fixture);
        using var batch = TokenBatch.Padded(examples);
        model.train();
        var result = Loss(model, batch, examples);
        result.Loss.backward();

        var names = model.named_parameters().Select(p => p.name).Order().ToList();
        Assert.Equal(fixture.Keys.Where(k => k.StartsWith("grad.")).Select(k => k["grad.".Length..]).Order(), names);
        double bound = Tolerances.Fp32Gradient(model.Config, examples.Count, (int)batch.InputIds.shape[1]);
        foreach (var (name, p) in model.named_parameters())
            Tolerances.AssertClose(fixture["grad." + name], p.grad!, bound, $"{variant} gradient of {name}");
    }

    /// <summary>
    /// One step of Sift's optimizer as the Trainer builds it (MasterWeights' decay groups, FusedAdamW, no clipping)
    /// from the fixture's gradients, against torch.optim.AdamW's step from the same gradients (lr 1e-2, betas
    /// (0.9, 0.999), eps 1e-8, weight_decay 0.1). Both decouple the decay (p·(1 − lr·wd)), bias-correct both
    /// moments and add eps to √v̂. One deliberate difference: Sift decays only matrices (transformers Trainer's rule:
    /// no decay on biases and norm weights), while the fixture's plain torch.optim.AdamW decayed every parameter; for
    /// 1-D parameters the expectation is torch's step without the decay, adamw1 + lr·wd·p₀, and the test checks that
    /// this difference (1e-3·|p₀|) is really there.
    /// <para>
    /// Bound 8u·max(1, |p|): torch's float64 result rounded to fp32 (u·|p|); Sift's fp32 decay factor and product
    /// (2u·|p|), its subtraction of the update (u·|p|), the test's addition for 1-D parameters (u·|p|); the update
    /// itself is lr-sized (1e-2), so its handful of roundings adds under u·|p|, and the fp32-rounded gradients change
    /// lr·g/(|g| + ε) by at most lr·u/4. Measured ≤ 2.4e-7 on weights up to 4.4 (bound 2e-6). Missing bias
    /// correction changes the step tenfold (lr·√(1−β₂)/(1−β₁)), decay on the wrong group by 1e-3·|p|.
    /// </para>
    /// </summary>
    [Theory]
    [MemberData(nameof(TrainVariants))]
    public void OneAdamWStepMatchesTorchWithDecayOnMatricesOnly(string variant)
    {
        using var scope = NewDisposeScope();
        using var model = Load(variant);
        var fixture = Fixture(variant);
        var initial = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        foreach (var (name, p) in model.named_parameters()) p.grad = fixture["grad." + name].clone();

        var options = new TrainingOptions
        {
            LearningRate = Lr, WeightDecay = WeightDecay, AdamBeta1 = Beta1, AdamBeta2 = Beta2, AdamEpsilon = Eps,
            MaxGradNorm = 0, LrSchedulerType = LrSchedulerType.Constant,
        };
        using var masters = new MasterWeights(model.named_parameters().Select(p => (p.name, p.parameter)), Precision.Float32);
        using var optimizer = new FusedAdamW(masters.OptimizerEntries(options.WeightDecay), options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon);
        double lr = new LearningRateSchedule(options.LearningRate, options.LrSchedulerType, 0, 1).RateAt(0);
        optimizer.Step(lr, Trainer.ClipScale(optimizer.GradientNorm(), options.MaxGradNorm));

        const double bound = 8 * Tolerances.Fp32;
        foreach (var (name, p) in model.named_parameters())
        {
            var torchStep = fixture["adamw1." + name];
            if (p.dim() >= 2)
            {
                Tolerances.AssertClose(torchStep, p, bound, $"{variant} {name} after one step");
                continue;
            }
            using var undecayed = torchStep + Lr * WeightDecay * initial[name];
            Tolerances.AssertClose(undecayed, p, bound, $"{variant} {name} after one step (torch's step without decay)");
            double skipped = MaxAbsDiff(torchStep, p), expected = Lr * WeightDecay * initial[name].abs().max().item<float>();
            Assert.True(skipped > 0.5 * expected && skipped > 100 * bound * Math.Max(1, torchStep.abs().max().item<float>()),
                $"{name}: Sift's step differs from torch's decayed one by {skipped}, expected about {expected}");
        }
    }
}

internal static class TensorComparison
{
    /// <summary>Same shape, same dtype and equal elements (TorchSharp's Tensor.equal compares elementwise).</summary>
    public static bool Same(this Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }
}

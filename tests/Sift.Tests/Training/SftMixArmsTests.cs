using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Tests.Training;

/// <summary>
/// The reviewer arms of SFTMix, computed by hand: loss = w_ntp · NTP + μ · mixup (w_ntp = 0 trains on the mixup
/// term alone; μ = 1 is allowed), and the mixup term on detached hidden states (its gradient reaches the LM head,
/// never the transformer body).
/// </summary>
public class SftMixArmsTests
{
    // A model whose hidden states are known: one layer whose o_proj and down_proj are 0 (so the attention and MLP
    // blocks add exactly 0 to the residual stream), norm weights 1, vocabulary {0, 1, 2, 3}, hidden size 2, and
    // embeddings E0 = (1, 1), E1 = (1, −1), E2 = (−1, 1), E3 = (−1, −1). Each has RMS 1, so the final RMSNorm (ε = 1e-12,
    // below fp32's resolution at 1) returns it exactly: the hidden state at a position is the embedding of its token.
    // LM head W = [[0, 0], [s, 0], [0, s], [0, 0]] with s = ln 2 (in fp32).
    //
    // Confident example c = [0, 1]: one trained position, hidden h_c = E0 = (1, 1), gold 1, logits (0, s, s, 0).
    // Unconfident example u = [3, 2]: hidden h_u = E3 = (−1, −1), gold 2, logits (0, −s, −s, 0).
    //   NTP: CE_c = ln(2 + 2eˢ) − s = ln 6 − ln 2 = ln 3;  CE_u = ln(2 + 2e⁻ˢ) + s = ln 3 + ln 2 = ln 6;  NTP = (CE_c + CE_u)/2.
    // Mixup with λ: z̃ = λ h_c + (1 − λ) h_u = t·(1, 1), t = 2λ − 1; logits (0, ts, ts, 0); targets λ on 1, 1 − λ on 2.
    //   Tokens 1 and 2 have equal logits, so the term is −log q with q = e^{ts}/(2 + 2e^{ts}):
    //   mix = ln(2 + 2e^{ts}) − ts = ln(2 + 2^{1+t}) − t·ln 2   (λ = 1: ln 3 = CE_c; λ = 0: ln 6 = CE_u).
    //   One pair of one token each, so the mixup mean divides by 1, and NTP's by the step's 2 trained tokens.
    // loss = w·NTP + μ·mix.
    //
    // Gradients. dCE/dlogits = softmax − target; dlogits/dW_v = h, dlogits/dh = Wᵀ(·) = s·(d₁, d₂) (columns of W).
    //   head:  ∂/∂W = (w/2)·[(p_c − e₁) h_cᵀ + (p_u − e₂) h_uᵀ] + μ·(q̃ − λe₁ − (1 − λ)e₂) z̃ᵀ,
    //          p_c = (1, 2, 2, 1)/6, p_u = (2, 1, 1, 2)/6, q̃ = (1, e^{ts}, e^{ts}, 1)/(2 + 2e^{ts}).
    //   hidden: g_c = (w/2)·Wᵀ(p_c − e₁) + μλ·Wᵀ(q̃ − τ), g_u = (w/2)·Wᵀ(p_u − e₂) + μ(1 − λ)·Wᵀ(q̃ − τ), τ = λe₁ + (1 − λ)e₂;
    //          with the hidden states detached for the mixup term, only the (w/2) parts.
    //   embeddings: the RMSNorm's Jacobian at x with RMS 1 and D = 2 is I − x xᵀ/2 = [[½, −½], [−½, ½]] for x = ±(1, 1),
    //          so row 0 of the embedding gradient is J g_c, row 3 is J g_u, rows 1 and 2 (tokens with no later target) are 0.
    //
    // Tolerance: the fp32 values the model computes are within a few dozen roundings of these float64 ones: the
    // forward chain (h·W, the logit lerp, max, exp, a 4-term sum, log, the target mix) is under 16 roundings, and a
    // gradient adds the backward's repeats of the same short sums and the RMSNorm's (under 48 more); the inputs
    // s and λ are used as the fp32 values the model holds. Tolerances.Fp32Against64(64, ·). Dropping a term,
    // weighting it by w or μ twice, or letting the detached term reach the body changes a value by ≥ 0.01.

    private const double Roundings = 64;

    private static readonly float S = (float)Math.Log(2);

    private static CausalLM HandModel()
    {
        var model = new CausalLM(ModelConfig.Create(vocabSize: 4, hiddenSize: 2, intermediateSize: 2, numLayers: 1, numHeads: 1, numKvHeads: 1, rmsNormEps: 1e-12), ScalarType.Float32);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            p.zero_();
            if (name.EndsWith("norm.weight")) p.fill_(1);
        }
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        parameters["model.embed_tokens.weight"].copy_(tensor(new float[] { 1, 1, 1, -1, -1, 1, -1, -1 }).reshape(4, 2));
        parameters["lm_head.weight"].copy_(tensor(new float[] { 0, 0, S, 0, 0, S, 0, 0 }).reshape(4, 2));
        return model;
    }

    private static readonly TokenizedExample C = new("c", [0, 1], [false, true]);
    private static readonly TokenizedExample U = new("u", [3, 2], [false, true]);

    [Theory]
    [InlineData(1.0, 0.2, false)]  // the paper's loss
    [InlineData(0.0, 1.0, false)]  // mixup only, μ = 1
    [InlineData(0.25, 1.0, true)]  // mixup on detached hidden states
    [InlineData(0.0, 0.5, true)]   // detached mixup only: the body gets no gradient at all
    [InlineData(0.5, 0.5, false)]
    public void LossAndGradientsMatchTheHandComputedValues(double w, double mu, bool detach)
    {
        foreach (var diagnosticSteps in new long[] { 0, 1 }) // the plain pass, and each term in its own pass
        {
            using var model = HandModel();
            var rows = new List<MixedRow>();
            var objective = new SftMixObjective(new HashSet<string> { "c" }, new SftMixOptions(Mu: mu, NtpWeight: w, DetachMixupHidden: detach, DiagnosticSteps: diagnosticSteps))
            {
                OnMixedRows = rows.AddRange,
            };
            List<TokenizedExample> microBatch = [C, U];
            using var batch = TokenBatch.Padded(microBatch);
            using var generator = new Generator(7);
            var result = objective.Compute(model, batch, new StepContext(0, [microBatch], generator));
            result.Loss.backward();

            var pair = Assert.Single(MixedPairs.From(rows));
            Assert.Equal(("c", "u", 1), (pair.Confident, pair.Unconfident, pair.Rows));
            double lambda = pair.Lambda, t = 2 * lambda - 1, s = S;
            double ceC = Math.Log(2 + 2 * Math.Exp(s)) - s, ceU = Math.Log(2 + 2 * Math.Exp(-s)) + s;
            double ntp = (ceC + ceU) / 2, mix = Math.Log(2 + 2 * Math.Exp(t * s)) - t * s;
            double expectedLoss = w * ntp + mu * mix;
            string where = $"w {w}, μ {mu}, detach {detach}, diagnostics {diagnosticSteps}, λ {lambda}";
            Assert.True(Math.Abs(result.Loss.item<float>() - expectedLoss) <= Tolerances.Fp32Against64((int)Roundings, expectedLoss), $"loss, {where}");
            // Logged unweighted, whatever w and μ are.
            Assert.Equal(ntp, result.Metrics["ntp_loss"], Tolerances.Fp32Against64((int)Roundings, ntp));
            Assert.Equal(mix, result.Metrics["mixup_loss"], Tolerances.Fp32Against64((int)Roundings, mix));

            // Softmaxes and targets over the vocabulary {0, 1, 2, 3}.
            double[] pc = [1 / 6.0, 2 / 6.0, 2 / 6.0, 1 / 6.0], pu = [2 / 6.0, 1 / 6.0, 1 / 6.0, 2 / 6.0];
            double e = Math.Exp(t * s);
            double[] q = [1 / (2 + 2 * e), e / (2 + 2 * e), e / (2 + 2 * e), 1 / (2 + 2 * e)];
            double[] dNtpC = [pc[0], pc[1] - 1, pc[2], pc[3]], dNtpU = [pu[0], pu[1], pu[2] - 1, pu[3]];
            double[] dMix = [q[0], q[1] - lambda, q[2] - (1 - lambda), q[3]];
            double[] hc = [1, 1], hu = [-1, -1], z = [t, t];

            var head = new double[4, 2];
            for (int v = 0; v < 4; v++)
                for (int d = 0; d < 2; d++)
                    head[v, d] = w / 2 * (dNtpC[v] * hc[d] + dNtpU[v] * hu[d]) + mu * dMix[v] * z[d];
            AssertGradient(head, model, "lm_head.weight", where);

            // Wᵀ·(d₀, d₁, d₂, d₃) = (s·d₁, s·d₂).
            double[] Back(double[] dl, double scale) => [scale * s * dl[1], scale * s * dl[2]];
            double[] Add(double[] a, double[] b) => [a[0] + b[0], a[1] + b[1]];
            var gc = Back(dNtpC, w / 2);
            var gu = Back(dNtpU, w / 2);
            if (!detach)
            {
                gc = Add(gc, Back(dMix, mu * lambda));
                gu = Add(gu, Back(dMix, mu * (1 - lambda)));
            }
            double[] J(double[] g) => [(g[0] - g[1]) / 2, (g[1] - g[0]) / 2];
            var embed = new double[4, 2];
            (embed[0, 0], embed[0, 1]) = (J(gc)[0], J(gc)[1]);
            (embed[3, 0], embed[3, 1]) = (J(gu)[0], J(gu)[1]);
            AssertGradient(embed, model, "model.embed_tokens.weight", where);

            if (detach && w == 0)
                foreach (var (name, p) in model.named_parameters().Where(p => p.name != "lm_head.weight"))
                    Assert.True(p.grad is null || p.grad.abs().max().item<float>() == 0, $"{name} has a gradient, {where}");
        }
    }

    /// <summary>
    /// In the trainer: one step of the detached mixup term alone (w_ntp = 0, μ = 1) moves the LM head and leaves every
    /// other weight bit for bit as it was (AdamW with weight decay 0 does not move a weight whose gradient is 0).
    /// Without the detach the same step moves the body too.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void DetachedMixupTrainsOnlyTheHeadInTheTrainer(long diagnosticSteps)
    {
        var (data, confident) = SftMixWiringTests.DisjointHalves();
        foreach (var detach in new[] { true, false })
        {
            using var model = TrainerFixtures.Model();
            var before = TrainerFixtures.Weights(model);
            TrainerFixtures.Train(model, SftMixWiringTests.StepOptions, TrainerFixtures.TempDir(), data,
                new SftMixObjective(confident, new SftMixOptions(Mu: 1, NtpWeight: 0, DetachMixupHidden: detach, DiagnosticSteps: diagnosticSteps)));
            foreach (var (name, after) in TrainerFixtures.Weights(model))
            {
                bool moved = !after.SequenceEqual(before[name]);
                if (name == "lm_head.weight") Assert.True(moved, $"the head did not move (detach {detach})");
                else if (detach) Assert.False(moved, $"{name} moved with the mixup term detached from the body");
                else if (name == "model.embed_tokens.weight") Assert.True(moved, "without the detach the mixup term trains the body");
            }
        }
    }

    private static void AssertGradient(double[,] expected, CausalLM model, string name, string where)
    {
        var parameter = model.named_parameters().Single(p => p.name == name).parameter;
        var actual = parameter.grad is null ? new float[expected.Length] : parameter.grad.data<float>().ToArray();
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int j = 0; j < expected.GetLength(1); j++)
            {
                double x = expected[i, j], y = actual[i * expected.GetLength(1) + j];
                Assert.True(Math.Abs(x - y) <= Tolerances.Fp32Against64((int)Roundings, x), $"{name}[{i}, {j}]: expected {x:E4}, got {y:E4}, {where}");
            }
    }
}

using Sift.Native;
using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>SFTMix settings (docs/METHODS.md, SFTMix, "The loss"; paper defaults α = 0.5, μ = 0.2).</summary>
/// <param name="DiagnosticSteps">About every this many steps (on the first logged step at or after each multiple), also measure the gradient norm of each term and their cosine; that step takes one backward pass per term instead of one in all, about 1.7 plain steps. 0 = never.</param>
/// <param name="NtpWeight">w_ntp in loss = w_ntp · NTP + μ · mixup (1 in the paper; 0 with μ &gt; 0 trains on the mixup term alone).</param>
/// <param name="DetachMixupHidden">The mixup term sees the hidden states detached: its gradient reaches the LM head only, not the transformer body (a reviewer arm: is SFTMix's gain regularization of the representation?).</param>
public sealed record SftMixOptions(double Alpha = 0.5, double Mu = 0.2, bool PairByLength = false, long DiagnosticSteps = 10,
    double NtpWeight = 1.0, bool DetachMixupHidden = false);

/// <summary>One mixed row as the fused loss receives it: the ids of the pair's confident and unconfident examples and its λ.</summary>
internal readonly record struct MixedRow(string Confident, string Unconfident, float Lambda);

/// <summary>
/// loss = w_ntp · NTP(all examples of the step) + μ · mixup(confident, unconfident pairs): NTP is the mean
/// NLL over the step's response tokens; the mixup term (see <see cref="FusedLinearCrossEntropy"/>) is the mean over
/// the step's mixed tokens, with λ ~ Beta(α, α) drawn per pair (<see cref="MixupLambda"/>). Pairs follow the
/// micro-batch as planned (<see cref="SftMixPlanner"/>: k confident examples, then their k partners), by each
/// example's place in that list, so packing, which reorders examples into rows, pairs the same examples. Both
/// terms back-propagate through the whole network in one backward pass (the mixup term through the LM head only
/// with <see cref="SftMixOptions.DetachMixupHidden"/>), and both come from one chunked pass over the LM head
/// (<see cref="FusedLinearCrossEntropy"/>; two passes when detached); on diagnostic steps each term gets its own
/// pass and backward.
/// </summary>
public sealed class SftMixObjective(IReadOnlySet<string> confidentIds, SftMixOptions options) : ITrainingObjective
{
    public string Name => "sftmix";

    /// <summary>Test seam: each micro-batch's mixed rows, in the order they are given to the fused loss.</summary>
    internal Action<IReadOnlyList<MixedRow>>? OnMixedRows { get; init; }

    public IReadOnlyList<int[]> PlanEpoch(IReadOnlyList<TokenizedExample> examples, int microBatchSize, long seed, int epoch) =>
        SftMixPlanner.Plan(examples, confidentIds, microBatchSize, options.PairByLength, seed, epoch);

    public ObjectiveResult Compute(CausalLM model, TokenBatch batch, StepContext context)
    {
        using var scope = NewDisposeScope();
        using var output = model.Forward(batch.InputIds, batch.Layout, computeLogits: false);
        double ntpMean = 1.0 / Math.Max(1, context.StepTrainedTokens);
        double ntpScale = options.NtpWeight * ntpMean; // exactly ntpMean at the default weight 1
        double mixScale = 1.0 / Math.Max(1, context.StepExamples.Sum(MixedTokens));
        var metrics = new Dictionary<string, double>();
        Tensor loss;
        IReadOnlyList<ExampleLoss> examples;
        using var rows = ResponseTokens.Rows(output.Hidden, batch);
        var pairs = Pairs(rows.Owners, batch, context.Generator);
        // The mixup term's input: with DetachMixupHidden its gradient stops at the hidden states (the LM head still gets it).
        var mixHidden = options.DetachMixupHidden ? rows.Hidden.detach() : rows.Hidden;
        bool diagnostic = IsDiagnosticStep(context);
        if (diagnostic || (options.DetachMixupHidden && options.Mu != 0))
        {
            // The two terms as separate losses: on diagnostic steps for the gradient of each, and with
            // DetachMixupHidden because the mixup term reads the detached hidden states.
            var mixup = Observed(MixupRows.From(pairs), rows.Owners, batch);
            using var ntp = FusedLinearCrossEntropy.Compute(rows.Hidden, model.LmHeadWeight, rows.Gold, ntpScale);
            using var mix = FusedLinearCrossEntropy.Compute(mixHidden, model.LmHeadWeight, rows.Gold, 0, mixup, options.Mu * mixScale, pairRowsOnly: true);
            examples = ResponseTokens.PerExample(batch, rows.Owners, ntp.Nll, ntp.Correct);
            metrics["ntp_loss"] = options.NtpWeight == 1 ? ntp.Loss.item<float>() : ntp.Nll.Sum(x => (double)x) * ntpMean;
            metrics["mixup_loss"] = mix.MixupSum * mixScale;
            metrics["mixed_tokens"] = mixup.Count;
            loss = diagnostic ? WithGradientDiagnostics(model, ntp.Loss, mix.Loss, metrics, context.StepExamples.Count) : ntp.Loss.Plus(mix.Loss);
        }
        else
        {
            // One chunked pass computes both terms and their gradients. With μ = 0 the mixup term is
            // left out, so the update is exactly NTP's (same rows, same order), and it is not logged.
            var mixup = options.Mu == 0 ? null : Observed(MixupRows.From(pairs), rows.Owners, batch);
            var fused = FusedLinearCrossEntropy.Compute(rows.Hidden, model.LmHeadWeight, rows.Gold, ntpScale, mixup, options.Mu * mixScale);
            examples = ResponseTokens.PerExample(batch, rows.Owners, fused.Nll, fused.Correct);
            loss = fused.Loss;
            metrics["ntp_loss"] = fused.Nll.Sum(x => (double)x) * ntpMean;
            if (mixup is not null)
            {
                metrics["mixup_loss"] = fused.MixupSum * mixScale;
                metrics["mixed_tokens"] = mixup.Count;
            }
        }

        int stepPairs = context.StepExamples.Sum(mb => mb.Count / 2);
        metrics["lambda_mean"] = pairs.Sum(p => p.Lambda) / stepPairs;
        metrics["lambda_extreme_share"] = pairs.Count(p => p.Lambda < 0.1 || p.Lambda > 0.9) / (double)stepPairs;
        return new ObjectiveResult(loss.MoveToOuterDisposeScope(), examples, metrics);
    }

    /// <summary>A logged step with a multiple of DiagnosticSteps since the step logged before it (so logging_steps need not divide it).</summary>
    private bool IsDiagnosticStep(StepContext context)
    {
        if (options.DiagnosticSteps <= 0 || !context.Logged) return false;
        long step = context.Step + 1, sinceLastLog = step % context.LoggingSteps == 0 ? context.LoggingSteps : step % context.LoggingSteps;
        return step % options.DiagnosticSteps < sinceLastLog;
    }

    /// <summary>Σ over the micro-batch's pairs of min(N^c, N^u).</summary>
    private static long MixedTokens(IReadOnlyList<TokenizedExample> microBatch)
    {
        int k = microBatch.Count / 2;
        return Enumerable.Range(0, k).Sum(j => (long)Math.Min(microBatch[j].TrainedCount, microBatch[k + j].TrainedCount));
    }

    /// <summary>
    /// Pairs the micro-batch's example j with example k + j, by their places in the micro-batch as planned
    /// (<see cref="ExampleSlot.Source"/>), not by slot: packing reorders slots. Their rows are the trained rows each owns, in order.
    /// </summary>
    private List<MixupPair> Pairs(long[] owners, TokenBatch batch, Generator generator)
    {
        int examples = batch.Examples.Count, k = examples / 2;
        var byExample = Enumerable.Range(0, examples).Select(_ => new List<long>()).ToArray();
        for (int i = 0; i < owners.Length; i++) byExample[batch.Examples[(int)owners[i]].Source].Add(i);
        var lambdas = MixupLambda.Draw(k, options.Alpha, generator);
        return Enumerable.Range(0, k).Select(j => new MixupPair(byExample[j].ToArray(), byExample[k + j].ToArray(), lambdas[j])).ToList();
    }

    /// <summary>Hands <paramref name="mixup"/>'s rows, by example id, to <see cref="OnMixedRows"/> (when set) and returns it.</summary>
    private MixupRows Observed(MixupRows mixup, long[] owners, TokenBatch batch)
    {
        if (OnMixedRows is { } observe)
            observe(Enumerable.Range(0, mixup.Count).Select(m => new MixedRow(
                batch.Examples[(int)owners[mixup.Confident[m]]].Id, batch.Examples[(int)owners[mixup.Unconfident[m]]].Id, mixup.Lambda[m])).ToList());
        return mixup;
    }

    /// <summary>
    /// The reviewers' question "does the mixup term matter": the norms of ∇NTP and ∇(μ·mixup) over
    /// the trainable parameters, and their cosine, for this micro-batch (per micro-batch normalization).
    /// One backward pass per term; the returned loss then carries their sum as its gradient
    /// (<see cref="PrecomputedGradients"/>), so the trainer's backward does not walk the network a
    /// third time.
    /// </summary>
    private static Tensor WithGradientDiagnostics(CausalLM model, Tensor ntp, Tensor mix, Dictionary<string, double> metrics, int microBatches)
    {
        var parameters = model.parameters().Where(p => p.requires_grad).Cast<Tensor>().ToList();
        var gNtp = autograd.grad([ntp], parameters, retain_graph: true, allow_unused: true);
        var gMix = autograd.grad([mix], parameters, allow_unused: true);
        double dot = 0, nn = 0, mm = 0;
        var sums = new List<(Tensor, Tensor)>();
        static bool Defined(Tensor? g) => g is not null && !g.IsInvalid;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (Defined(gNtp[i]) && Defined(gMix[i]))
            {
                // In double and in a fixed order: libtorch's dot rounds differently at another thread count (off the CPU, the twin's order).
                var (a, b) = (gNtp[i].to_type(ScalarType.Float32).contiguous(), gMix[i].to_type(ScalarType.Float32).contiguous());
                var (ab, aa, bb) = KernelChoice.CpuKernel(a) ? TensorMemory.Dots(a, b) : DotsTwin.Dots(a, b);
                (dot, nn, mm) = (dot + ab, nn + aa, mm + bb);
            }
            var total = Defined(gNtp[i]) ? (Defined(gMix[i]) ? gNtp[i].Plus(gMix[i]) : gNtp[i]) : Defined(gMix[i]) ? gMix[i] : null;
            if (total is not null) sums.Add((parameters[i], total));
        }
        metrics["ntp_grad_norm"] = Math.Sqrt(nn) / microBatches;
        metrics["mixup_grad_norm"] = Math.Sqrt(mm) / microBatches;
        metrics["grad_cosine"] = dot / Math.Max(Math.Sqrt(nn * mm), 1e-30) / microBatches;
        return PrecomputedGradients.Attach(ntp.detach().Plus(mix.detach()), sums);
    }
}

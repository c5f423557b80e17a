using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>
/// Next-token prediction over response tokens: the mean NLL over all trained tokens of the optimizer
/// step (docs/METHODS.md, NTP). With <see cref="Neftune"/> set, the input embeddings get NEFTune noise
/// in training forward passes.
/// </summary>
/// <param name="groupByLength">Batch examples of similar length together (less padding, less random batches).</param>
public sealed class NextTokenObjective(NeftuneOptions? neftune = null, bool groupByLength = true) : ITrainingObjective
{
    public NeftuneOptions? Neftune { get; } = neftune;

    public string Name => Neftune is null ? "ntp" : "neftune";

    public IReadOnlyList<int[]> PlanEpoch(IReadOnlyList<TokenizedExample> examples, int microBatchSize, long seed, int epoch) =>
        groupByLength
            ? BatchPlanner.LengthGrouped(examples.Select(e => e.Length).ToArray(), microBatchSize, seed, epoch)
            : BatchPlanner.Random(examples.Count, microBatchSize, seed, epoch);

    public ObjectiveResult Compute(CausalLM model, TokenBatch batch, StepContext context)
    {
        using var scope = NewDisposeScope();
        var embeddings = model.Embed(batch.InputIds);
        if (Neftune is not null) embeddings = NeftuneNoise.Apply(embeddings, batch, Neftune, context.Generator);
        using var output = model.ForwardEmbeddings(embeddings, batch.Layout, computeLogits: false);
        var (loss, examples) = ResponseTokens.FusedLosses(output.Hidden, model.LmHeadWeight, batch, 1.0 / Math.Max(1, context.StepTrainedTokens));
        var metrics = new Dictionary<string, double> { ["ntp_loss"] = loss.Loss.item<float>() };
        return new ObjectiveResult(loss.Loss.MoveToOuterDisposeScope(), examples, metrics);
    }
}

using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Training;

/// <summary>
/// A training loss the trainer can optimize. The trainer owns the loop (batches, accumulation,
/// optimizer, checkpoints); the objective decides how an epoch's examples form micro-batches and
/// what loss a micro-batch contributes. NTP, NEFTune and SFTMix are objectives.
/// </summary>
public interface ITrainingObjective
{
    string Name { get; }

    /// <summary>The micro-batches of one epoch as example indices; deterministic in (seed, epoch).</summary>
    IReadOnlyList<int[]> PlanEpoch(IReadOnlyList<TokenizedExample> examples, int microBatchSize, long seed, int epoch);

    /// <summary>
    /// The loss of one micro-batch, scaled so that the losses of all micro-batches of the optimizer
    /// step add up to the step's loss (so accumulating k micro-batches equals one batch of all of them).
    /// </summary>
    ObjectiveResult Compute(CausalLM model, TokenBatch batch, StepContext context);
}

/// <summary>What an objective knows about the optimizer step a micro-batch belongs to.</summary>
/// <param name="Step">Optimizer step, 0-based.</param>
/// <param name="StepExamples">Every micro-batch of this optimizer step, so losses can be normalized over the whole step.</param>
/// <param name="Generator">The step's random source (noise, mixing weights), seeded from (seed, step) so a resumed run draws the same numbers.</param>
/// <param name="Logged">Whether the trainer writes this step's metrics; metrics that cost extra work need only be computed then.</param>
/// <param name="LoggingSteps">The trainer's logging interval.</param>
public sealed record StepContext(long Step, IReadOnlyList<IReadOnlyList<TokenizedExample>> StepExamples, Generator Generator,
    bool Logged = true, long LoggingSteps = 1)
{
    /// <summary>Trained tokens over the whole step: the NTP denominator.</summary>
    public long StepTrainedTokens => StepExamples.Sum(mb => mb.Sum(e => (long)e.TrainedCount));
}

/// <summary>A micro-batch's loss, per-example statistics and metric sums.</summary>
/// <param name="Loss">Scalar to back-propagate.</param>
/// <param name="Examples">Per example in the batch: response-token NLL sum, token count and correct argmax count.</param>
/// <param name="Metrics">Named values already scaled like the loss, so they add up over the step's micro-batches.</param>
public sealed record ObjectiveResult(Tensor Loss, IReadOnlyList<ExampleLoss> Examples, IReadOnlyDictionary<string, double> Metrics);

/// <summary>One example's response-token loss in a forward pass.</summary>
public readonly record struct ExampleLoss(string Id, double NllSum, int Tokens, int Correct, double ProbSum = double.NaN)
{
    /// <summary>(1/T) Σ_t p(y_t), the arithmetic-mean gold-token probability (NaN when not summed).</summary>
    public double MeanProbability => Tokens == 0 ? double.NaN : ProbSum / Tokens;

    public double MeanLoss => Tokens == 0 ? double.NaN : NllSum / Tokens;
    public double Accuracy => Tokens == 0 ? double.NaN : (double)Correct / Tokens;
}

using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using Sift.Training;
using Sift.Training.Objectives;

namespace Sift.Tests.Training;

/// <summary>
/// SFTMix as the trainer runs it, beyond the loss: who is mixed with whom over an epoch (padded and packed
/// batches), and whether the mixup gradient reaches both halves of the data.
/// </summary>
public class SftMixWiringTests
{
    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 1)] // diagnostic steps: each term in its own pass
    [InlineData(true, 0)]  // packing reorders a micro-batch's examples into rows
    public void EveryPairOfAnEpochIsOneConfidentAndOneUnconfidentExampleAsPlanned(bool packing, long diagnosticSteps)
    {
        // 7 confident and 5 unconfident examples: 5 pairs, two confident examples sit the epoch out.
        var data = TrainerFixtures.Examples(12);
        var confident = data.Take(7).Select(e => e.Id).ToHashSet();
        var rows = new List<MixedRow>();
        var sftmix = new SftMixObjective(confident, new SftMixOptions(Mu: 0.5, DiagnosticSteps: diagnosticSteps)) { OnMixedRows = rows.AddRange };
        var recorder = new PlanRecorder(sftmix);
        const int rowLength = 16;
        var options = TrainerFixtures.Options() with { MaxSteps = -1, NumTrainEpochs = 1, Packing = packing, PackedRowLength = rowLength };
        using var model = TrainerFixtures.Model();
        TrainerFixtures.Train(model, options, TrainerFixtures.TempDir(), data, recorder);

        var plan = recorder.Plans[0];
        var byId = data.ToDictionary(e => e.Id);
        // What the plan says: micro-batch [c_1..c_k, u_1..u_k] mixes c_j with u_j, micro-batches in order.
        var expected = plan.SelectMany(b => Enumerable.Range(0, b.Length / 2).Select(j => (data[b[j]].Id, data[b[b.Length / 2 + j]].Id))).ToList();
        var pairs = MixedPairs.From(rows);
        Assert.Equal(expected, pairs.Select(p => (p.Confident, p.Unconfident)).ToList());
        Assert.All(pairs, p =>
        {
            Assert.Contains(p.Confident, confident);
            Assert.DoesNotContain(p.Unconfident, confident);
            Assert.Equal(Math.Min(byId[p.Confident].TrainedCount, byId[p.Unconfident].TrainedCount), p.Rows); // N = min(N^c, N^u)
            Assert.InRange(p.Lambda, 0f, 1f);
        });
        Assert.Equal(data.Skip(7).Select(e => e.Id).Order(), pairs.Select(p => p.Unconfident).Order());   // every unconfident example once
        Assert.Equal(5, pairs.Select(p => p.Confident).Distinct().Count());                               // five confident ones, once each
        Assert.Equal(5, pairs.Select(p => p.Lambda).Distinct().Count());                                  // a λ of its own per pair

        if (packing)
        {
            // The case the pairing by planned position exists for: first fit puts a later, shorter example in an earlier row.
            Assert.Contains(plan, b =>
            {
                using var batch = TokenBatch.Packed(b.Select(i => data[i]).ToList(), rowLength);
                return !batch.Examples.Select(s => s.Source).SequenceEqual(Enumerable.Range(0, b.Length));
            });
        }
    }

    /// <summary>
    /// A real training step with NTP weight 0 and μ = 1, so every gradient comes from the mixup term: the
    /// confident examples are written in tokens 3..12 and the unconfident ones in 13..22 (plus BOS 1), so an
    /// embedding row moves only if the mixup gradient reached a hidden state of that half. AdamW with weight
    /// decay 0 leaves a weight whose gradient is exactly 0 exactly as it was (m = v = 0, update 0), which the
    /// rows of tokens no example uses show. λ fixed at 1, or confident examples mixed with confident ones, leave
    /// every unconfident row with a zero gradient.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void MixupGradientReachesBothHalvesInTheTrainer(long diagnosticSteps)
    {
        var (data, confident) = DisjointHalves();
        var recorder = new PlanRecorder(new SftMixObjective(confident, new SftMixOptions(Mu: 1, NtpWeight: 0, DiagnosticSteps: diagnosticSteps)));
        using var model = TrainerFixtures.Model();
        var before = TrainerFixtures.Weights(model)["model.embed_tokens.weight"];
        TrainerFixtures.Train(model, StepOptions, TrainerFixtures.TempDir(), data, recorder);
        var after = TrainerFixtures.Weights(model)["model.embed_tokens.weight"];

        var step = recorder.Plans[0][0].Select(i => data[i]).ToList(); // the first step's micro-batch
        Assert.All(RowsMoved(before, after, FedTokens(step.Where(e => confident.Contains(e.Id)))), moved => Assert.True(moved.Value, $"confident token {moved.Key} did not move"));
        Assert.All(RowsMoved(before, after, FedTokens(step.Where(e => !confident.Contains(e.Id)))), moved => Assert.True(moved.Value, $"unconfident token {moved.Key} did not move"));
        Assert.All(RowsMoved(before, after, Enumerable.Range(23, 9).ToHashSet()), moved => Assert.False(moved.Value, $"unused token {moved.Key} moved"));
    }

    /// <summary>One AdamW step with weight decay 0 (see <see cref="MixupGradientReachesBothHalvesInTheTrainer"/>) over 2 pairs.</summary>
    internal static TrainingOptions StepOptions => TrainerFixtures.Options(steps: 1) with { WeightDecay = 0, WarmupSteps = 0 };

    /// <summary>Four confident examples in tokens 3..12 and four unconfident ones in 13..22, each BOS (1) + prompt + response.</summary>
    internal static (List<TokenizedExample> Data, HashSet<string> Confident) DisjointHalves()
    {
        var data = new List<TokenizedExample>();
        for (int half = 0; half < 2; half++)
            for (int i = 0; i < 4; i++)
            {
                int first = 3 + 10 * half + i, length = 4 + i % 2; // tokens first, first + 1, ... ≤ 12 (or 22)
                var tokens = new[] { 1 }.Concat(Enumerable.Range(first, length)).ToArray();
                var trained = tokens.Select((_, p) => p >= 2).ToArray(); // BOS and one prompt token, then the response
                data.Add(new TokenizedExample($"{(half == 0 ? "c" : "u")}{i}", tokens, trained));
            }
        return (data, data.Take(4).Select(e => e.Id).ToHashSet());
    }

    /// <summary>The tokens other than BOS that reach a trained position's hidden state: every token before an example's last target.</summary>
    internal static HashSet<int> FedTokens(IEnumerable<TokenizedExample> examples) =>
        examples.SelectMany(e => e.Tokens.Take(Array.LastIndexOf(e.Trained, true))).Where(t => t != 1).ToHashSet();

    /// <summary>For each token, whether its embedding row changed.</summary>
    internal static Dictionary<int, bool> RowsMoved(float[] before, float[] after, IEnumerable<int> tokens, int hidden = 32) =>
        tokens.ToDictionary(t => t, t => !before.AsSpan(t * hidden, hidden).SequenceEqual(after.AsSpan(t * hidden, hidden)));

    /// <summary>Passes everything to the objective, keeping each epoch's plan.</summary>
    internal sealed class PlanRecorder(ITrainingObjective inner) : ITrainingObjective
    {
        public Dictionary<int, IReadOnlyList<int[]>> Plans { get; } = [];
        public string Name => inner.Name;
        public IReadOnlyList<int[]> PlanEpoch(IReadOnlyList<TokenizedExample> examples, int microBatchSize, long seed, int epoch) =>
            Plans[epoch] = inner.PlanEpoch(examples, microBatchSize, seed, epoch);
        public ObjectiveResult Compute(CausalLM model, TokenBatch batch, StepContext context) => inner.Compute(model, batch, context);
    }
}

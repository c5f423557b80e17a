using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using Sift.Tests.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Tests.Batching;

/// <summary>
/// Padded and packed batches change nothing about an example's loss: each example's mean
/// response loss in a batch equals its loss run alone (one unpadded row, plain causal attention).
/// </summary>
public class TokenBatchTests
{
    private const int PadId = 5;

    /// <summary>Random examples of lengths 3..13 (one of 30, longer than a packed row), each with a few trained positions.</summary>
    private static List<TokenizedExample> RandomExamples(int count, int seed)
    {
        var rng = new Random(seed);
        var examples = new List<TokenizedExample>();
        for (int i = 0; i < count; i++)
        {
            int length = i == 3 ? 30 : rng.Next(3, 14);
            var tokens = Enumerable.Range(0, length).Select(_ => rng.Next(1, 64)).ToArray();
            var trained = Enumerable.Range(0, length).Select(p => p > 0 && rng.NextDouble() < 0.6).ToArray();
            trained[^1] = true;
            examples.Add(new TokenizedExample($"ex{i}", tokens, trained));
        }
        return examples;
    }

    /// <summary>Mean cross entropy over an example's target positions (targets != −100), from CausalLM.Forward.</summary>
    private static Dictionary<string, double> LossPerExample(CausalLM model, TokenBatch batch)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var output = model.Forward(batch.InputIds, batch.Layout);
        var losses = new Dictionary<string, double>();
        foreach (var slot in batch.Examples)
        {
            var logits = output.Logits![slot.Row, TensorIndex.Slice(slot.Start, slot.Start + slot.Length)];
            var targets = batch.Targets[slot.Row, TensorIndex.Slice(slot.Start, slot.Start + slot.Length)];
            losses[slot.Id] = F.cross_entropy(logits, targets, ignore_index: TokenBatch.Ignore).item<float>();
            Assert.True(double.IsFinite(losses[slot.Id]) && losses[slot.Id] > 0, $"{slot.Id}: loss {losses[slot.Id]}");
        }
        return losses;
    }

    private static Dictionary<string, double> LossAlone(CausalLM model, IEnumerable<TokenizedExample> examples) =>
        examples.ToDictionary(e => e.Id, e =>
        {
            using var batch = TokenBatch.Padded([e]);
            Assert.Null(batch.Layout);
            return LossPerExample(model, batch)[e.Id];
        });

    [Fact]
    public void Each_example_in_a_packed_batch_has_its_loss_alone()
    {
        using var model = CausalLMTests.TinyModel();
        var examples = RandomExamples(9, seed: 3);
        var alone = LossAlone(model, examples);
        using var batch = TokenBatch.Packed(examples, rowLength: 24, padId: PadId);
        Assert.True(batch.Examples.GroupBy(s => s.Row).Any(g => g.Count() >= 3), "some row must hold several examples");
        Assert.Equal(30, batch.InputIds.shape[1]);   // the 30-token example gets a row of its own
        var packed = LossPerExample(model, batch);
        // Same fp32 forward, different summation order (row layout, masks): Tolerances.TinyForward (~9e-5 of
        // an O(1) loss). Attention leaking across packed examples changes a loss by O(0.1).
        foreach (var e in examples) Assert.Equal(alone[e.Id], packed[e.Id], Tolerances.Scaled(Tolerances.TinyForward, alone[e.Id]));
        Assert.Equal(examples.Sum(e => e.Trained.Skip(1).Count(t => t)), batch.TrainedTokens);
        Assert.Equal(examples.Sum(e => e.Length), batch.Tokens);
    }

    [Fact]
    public void Every_slot_records_its_examples_position_in_the_input_list()
    {
        // SFTMix pairs by this position (confident j with unconfident k + j), which packing must not scramble.
        var examples = RandomExamples(9, seed: 3);
        using var padded = TokenBatch.Padded(examples, padId: PadId);
        Assert.Equal(Enumerable.Range(0, 9), padded.Examples.Select(s => s.Source));
        using var packed = TokenBatch.Packed(examples, rowLength: 24, padId: PadId);
        Assert.All(packed.Examples, s => Assert.Equal(examples[s.Source].Id, s.Id));
        Assert.Equal(Enumerable.Range(0, 9), packed.Examples.Select(s => s.Source).Order());
        Assert.NotEqual(Enumerable.Range(0, 9), packed.Examples.Select(s => s.Source)); // first fit did reorder them
    }

    [Fact]
    public void Each_example_in_a_padded_batch_has_its_loss_alone()
    {
        using var model = CausalLMTests.TinyModel(seed: 2);
        var examples = RandomExamples(6, seed: 4);
        var alone = LossAlone(model, examples);
        using var batch = TokenBatch.Padded(examples, padId: PadId);
        Assert.NotNull(batch.Layout);
        var padded = LossPerExample(model, batch);
        foreach (var e in examples) Assert.Equal(alone[e.Id], padded[e.Id], Tolerances.Scaled(Tolerances.TinyForward, alone[e.Id]));
    }

    [Fact]
    public void Padding_uses_the_pad_id_and_is_never_a_target()
    {
        var examples = RandomExamples(4, seed: 5);
        using var padded = TokenBatch.Padded(examples, padId: PadId);
        using var packed = TokenBatch.Packed(examples, rowLength: 24, padId: PadId);
        foreach (var batch in new[] { padded, packed })
        {
            var ids = batch.InputIds.data<long>().ToArray();
            var targets = batch.Targets.data<long>().ToArray();
            long t = batch.InputIds.shape[1];
            var real = new bool[ids.Length];
            foreach (var slot in batch.Examples)
                for (int p = 0; p < slot.Length; p++) real[slot.Row * t + slot.Start + p] = true;
            for (int i = 0; i < ids.Length; i++)
                if (!real[i])
                {
                    Assert.Equal(PadId, ids[i]);
                    Assert.Equal(TokenBatch.Ignore, targets[i]);
                }
            Assert.Contains(false, real);
        }
    }
}

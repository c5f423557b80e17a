using Sift.Data.Batching;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>
/// Token-level cross entropy over the trained positions of a batch only: the hidden states of
/// those positions go through the LM head (never the full [B, T, V] logits) and log-softmax runs in
/// fp32, a chunk of positions at a time (<see cref="FusedLinearCrossEntropy"/>). Also sums the loss
/// and greedy hits per example.
/// </summary>
public static class ResponseTokens
{
    /// <summary>Flat positions (row·T + t) with a target, and for each the index of its example in batch.Examples.</summary>
    public static (long[] Positions, long[] Owners) Locate(TokenBatch batch)
    {
        long t = batch.Targets.shape[1];
        var targets = batch.Targets.data<long>().ToArray();
        var positions = new List<long>((int)batch.TrainedTokens);
        var owners = new List<long>((int)batch.TrainedTokens);
        for (int e = 0; e < batch.Examples.Count; e++)
        {
            var slot = batch.Examples[e];
            long first = slot.Row * t + slot.Start;
            for (long p = first; p < first + slot.Length; p++)
                if (targets[p] != TokenBatch.Ignore) { positions.Add(p); owners.Add(e); }
        }
        return (positions.ToArray(), owners.ToArray());
    }

    /// <summary>The trained positions' hidden states ([P, D], with grad), their gold next tokens [P], and for each row its example's index in batch.Examples.</summary>
    public sealed record TrainedRows(Tensor Hidden, Tensor Gold, long[] Owners) : IDisposable
    {
        public void Dispose()
        {
            Hidden.Dispose();
            Gold.Dispose();
        }
    }

    public static TrainedRows Rows(Tensor hidden, TokenBatch batch)
    {
        var (positions, owners) = Locate(batch);
        using var scope = NewDisposeScope();
        var index = tensor(positions, device: hidden.device);
        var rows = hidden.reshape(-1, hidden.shape[^1]).index_select(0, index);
        var gold = batch.Targets.reshape(-1).to(hidden.device).index_select(0, index);
        return new TrainedRows(rows.MoveToOuterDisposeScope(), gold.MoveToOuterDisposeScope(), owners);
    }

    /// <summary>NTP through the fused, chunked LM head + cross entropy: loss = scale · Σ NLL, and the per-example statistics.</summary>
    public static (FusedLoss Loss, IReadOnlyList<ExampleLoss> Examples) FusedLosses(Tensor hidden, Tensor lmHead, TokenBatch batch, double scale)
    {
        using var rows = Rows(hidden, batch);
        var loss = FusedLinearCrossEntropy.Compute(rows.Hidden, lmHead, rows.Gold, scale);
        return (loss, PerExample(batch, rows.Owners, loss.Nll, loss.Correct));
    }

    /// <summary>Sums each example's token NLLs and token probabilities exp(−NLL) (in double) and greedy hits.</summary>
    public static IReadOnlyList<ExampleLoss> PerExample(TokenBatch batch, long[] owners, float[] nll, bool[] correct)
    {
        int n = batch.Examples.Count;
        var sums = new double[n];
        var probabilities = new double[n];
        var counts = new int[n];
        var hits = new int[n];
        for (int i = 0; i < owners.Length; i++)
        {
            sums[owners[i]] += nll[i];
            probabilities[owners[i]] += Math.Exp(-(double)nll[i]);
            counts[owners[i]]++;
            if (correct[i]) hits[owners[i]]++;
        }
        return Enumerable.Range(0, n).Select(e => new ExampleLoss(batch.Examples[e].Id, sums[e], counts[e], hits[e], probabilities[e])).ToList();
    }
}

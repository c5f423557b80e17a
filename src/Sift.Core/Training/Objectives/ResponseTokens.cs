using Sift.Data.Batching;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Sift.Training.Objectives;

/// <summary>
/// Token-level cross entropy over the trained positions of a batch only: the hidden states of
/// those positions go through the LM head (never the full [B, T, V] logits) and log-softmax runs in
/// fp32. Also sums the loss and greedy hits per example, which costs one small reduction.
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

    /// <summary>The trained positions' logits (fp32, [P, V], with grad), their gold next tokens [P], and for each row its example's index in batch.Examples.</summary>
    public sealed record TrainedLogits(Tensor Logits, Tensor Gold, long[] Owners) : IDisposable
    {
        public void Dispose()
        {
            Logits.Dispose();
            Gold.Dispose();
        }
    }

    /// <summary>The LM head over the trained positions only.</summary>
    public static TrainedLogits Logits(Tensor hidden, Tensor lmHead, TokenBatch batch)
    {
        var (positions, owners) = Locate(batch);
        using var scope = NewDisposeScope();
        long d = hidden.shape[^1];
        var index = tensor(positions, device: hidden.device);
        var selected = hidden.reshape(-1, d).index_select(0, index);
        var logits = F.linear(selected, lmHead).to_type(ScalarType.Float32);
        var gold = batch.Targets.reshape(-1).to(hidden.device).index_select(0, index);
        return new TrainedLogits(logits.MoveToOuterDisposeScope(), gold.MoveToOuterDisposeScope(), owners);
    }

    /// <summary>Per-position NLL (fp32, with grad) of the located positions, and the per-example statistics.</summary>
    public static (Tensor Nll, IReadOnlyList<ExampleLoss> Examples) Losses(Tensor hidden, Tensor lmHead, TokenBatch batch)
    {
        using var logits = Logits(hidden, lmHead, batch);
        return Losses(logits, batch);
    }

    public static (Tensor Nll, IReadOnlyList<ExampleLoss> Examples) Losses(TrainedLogits trained, TokenBatch batch)
    {
        using var scope = NewDisposeScope();
        var logProbs = trained.Logits.log_softmax(-1);
        var nll = -logProbs.gather(1, trained.Gold.unsqueeze(1)).squeeze(1);
        var correct = logProbs.argmax(1).eq(trained.Gold);

        int n = batch.Examples.Count;
        var owner = tensor(trained.Owners, device: trained.Logits.device);
        using var _ = no_grad();
        var sums = zeros(n, ScalarType.Float64).index_add_(0, owner, nll.detach().to_type(ScalarType.Float64), 1).data<double>().ToArray();
        var hits = zeros(n, ScalarType.Int64).index_add_(0, owner, correct.to_type(ScalarType.Int64), 1).data<long>().ToArray();
        var counts = new int[n];
        foreach (var o in trained.Owners) counts[o]++;
        var examples = new ExampleLoss[n];
        for (int e = 0; e < n; e++) examples[e] = new ExampleLoss(batch.Examples[e].Id, sums[e], counts[e], (int)hits[e]);
        return (nll.MoveToOuterDisposeScope(), examples);
    }
}

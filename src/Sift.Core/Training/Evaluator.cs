using Sift.Data;
using Sift.Data.Batching;
using Sift.Models;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Training;

/// <summary>Held-out response loss, perplexity and greedy token accuracy (token-weighted over all examples).</summary>
public sealed record EvalResult(double Loss, double Perplexity, double TokenAccuracy, long Tokens, IReadOnlyList<ExampleLoss> Examples);

public static class Evaluator
{
    /// <summary>Teacher-forced pass without gradients or noise; batches of similar length.</summary>
    public static EvalResult Evaluate(CausalLM model, IReadOnlyList<TokenizedExample> examples, int batchSize)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var all = new List<ExampleLoss>(examples.Count);
            var order = Enumerable.Range(0, examples.Count).OrderBy(i => examples[i].Length).ToArray();
            for (int s = 0; s < order.Length; s += batchSize)
            {
                var chunk = order.Skip(s).Take(batchSize).Select(i => examples[i]).ToList();
                using var scope = NewDisposeScope();
                using var batch = TokenBatch.Padded(chunk);
                using var output = model.Forward(batch.InputIds, batch.Layout, computeLogits: false);
                var (fused, perExample) = ResponseTokens.FusedLosses(output.Hidden, model.LmHeadWeight, batch, 1);
                fused.Dispose();
                all.AddRange(perExample);
            }
            long tokens = all.Sum(e => (long)e.Tokens);
            double loss = tokens == 0 ? double.NaN : all.Sum(e => e.NllSum) / tokens;
            double accuracy = tokens == 0 ? double.NaN : (double)all.Sum(e => (long)e.Correct) / tokens;
            return new EvalResult(loss, Math.Exp(loss), accuracy, tokens, all);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}

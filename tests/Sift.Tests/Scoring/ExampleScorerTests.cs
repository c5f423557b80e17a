using Sift.Data;
using Sift.Scoring;
using static TorchSharp.torch;

namespace Sift.Tests.Scoring;

public class ExampleScorerTests
{
    [Fact]
    public void StatisticsEqualSumsOfIndependentPerTokenLosses()
    {
        using var model = ScoringFixtures.TinyModel();
        var examples = ScoringFixtures.Examples(12);
        var stats = ExampleScorer.ScoreAll(model, examples, new ScoringOptions { BatchSize = 4, LogitRows = 7 });
        for (int i = 0; i < examples.Count; i++)
        {
            var (nll, hit) = ScoringFixtures.TokenLosses(model, examples[i]);
            Assert.Equal(examples[i].Id, stats[i].Id);
            Assert.Equal(nll.Length, stats[i].Tokens);
            // The scorer's batched fp32 forward vs this example alone: the same sums in another order.
            double loss = Tolerances.NllMean(nll, Tolerances.TinyForward);
            Assert.Equal(nll.Sum(), stats[i].NllSum, Tolerances.NllSum(nll, Tolerances.TinyForward));
            Assert.Equal(nll.Average(), stats[i].Loss, loss);
            Assert.Equal(Math.Exp(nll.Average()), stats[i].Perplexity, Math.Exp(nll.Average()) * 2 * loss);
            Assert.Equal(hit.Count(h => h), stats[i].Correct);
            Assert.Equal((double)hit.Count(h => h) / hit.Length, stats[i].Accuracy); // the same integer ratio: exact
        }
    }

    [Fact]
    public void BatchSizeAndPaddingDoNotChangeValues()
    {
        using var model = ScoringFixtures.TinyModel(seed: 3);
        var examples = ScoringFixtures.Examples(17, seed: 11);
        var one = ExampleScorer.ScoreAll(model, examples, new ScoringOptions { BatchSize = 1 });
        var eight = ExampleScorer.ScoreAll(model, examples, new ScoringOptions { BatchSize = 8 });
        var tight = ExampleScorer.ScoreAll(model, examples, new ScoringOptions { BatchSize = 8, MaxBatchTokens = 40 });
        for (int i = 0; i < examples.Count; i++)
        {
            // Batch size and padding change only the summation order: Tolerances.TinyForward of an O(1) loss
            // (~1e-4 at loss 1; padding that leaks into attention moves a loss by O(0.1)).
            Assert.Equal(one[i].Loss, eight[i].Loss, Tolerances.Scaled(Tolerances.TinyForward, one[i].Loss));
            Assert.Equal(one[i].Loss, tight[i].Loss, Tolerances.Scaled(Tolerances.TinyForward, one[i].Loss));
            Assert.Equal(one[i].Correct, eight[i].Correct);
        }
    }

    [Fact]
    public void ValuesAreBitwiseIndependentOfBatchCompanions()
    {
        using var model = ScoringFixtures.TinyModel(seed: 4);
        var examples = ScoringFixtures.Examples(30, seed: 5);
        var all = ExampleScorer.ScoreAll(model, examples, new ScoringOptions { BatchSize = 8, LogitRows = 32 });
        var odd = examples.Where((_, i) => i % 3 == 1).ToList();
        var some = ExampleScorer.ScoreAll(model, odd, new ScoringOptions { BatchSize = 8, LogitRows = 32 });
        var byId = all.ToDictionary(s => s.Id);
        foreach (var s in some)
        {
            Assert.Equal(byId[s.Id].NllSum, s.NllSum);
            Assert.Equal(byId[s.Id].Correct, s.Correct);
        }
    }

    [Theory]
    [InlineData(7)]   // logit blocks multiplied padded to 12 rows
    [InlineData(256)] // the default: one block holds every response position of a batch here
    public void ValuesAreBitwiseTheSameAloneInShardsAndInBatches(int logitRows)
    {
        using var model = ScoringFixtures.TinyModel(seed: 6);
        var examples = ScoringFixtures.Examples(20, seed: 8);
        var options = new ScoringOptions { BatchSize = 8, LogitRows = logitRows };
        var all = ExampleScorer.ScoreAll(model, examples, options);
        var shards = examples.Select((e, i) => (e, i)).GroupBy(x => x.i % 3)
            .SelectMany(shard => ExampleScorer.ScoreAll(model, shard.Select(x => x.e).ToList(), options)).ToDictionary(s => s.Id);
        for (int i = 0; i < examples.Count; i++)
        {
            var alone = ExampleScorer.ScoreAll(model, [examples[i]], options)[0];
            Assert.Equal(all[i], alone); // Id, tokens, NLL sum, correct and probability sum, bit for bit
            Assert.Equal(all[i], shards[all[i].Id]);
        }
    }

    [Fact]
    public void Bf16WeightsGiveFp32LogSoftmaxResultsCloseToFp32()
    {
        using var model32 = ScoringFixtures.TinyModel(seed: 5);
        using var model16 = new Sift.Models.CausalLM(model32.Config, ScalarType.BFloat16);
        model16.LoadWeights(model32.ExportWeights(), "test");
        var examples = ScoringFixtures.Examples(6, seed: 2);
        var a = ExampleScorer.ScoreAll(model32, examples, new ScoringOptions());
        var b = ExampleScorer.ScoreAll(model16, examples, new ScoringOptions());
        for (int i = 0; i < examples.Count; i++) Assert.Equal(a[i].Loss, b[i].Loss, 0.05);
        Assert.All(b, s => Assert.True(double.IsFinite(s.NllSum)));
    }

    [Fact]
    public void BatchesAreLongestFirstAndRespectTheTokenBudget()
    {
        var examples = new[] { 5, 9, 9, 3, 16 }.Select((n, i) => new TokenizedExample($"e{i}", new int[n], Enumerable.Range(0, n).Select(p => p > 0).ToArray())).ToList();
        var batches = ExampleScorer.PlanBatches(examples, new ScoringOptions { BatchSize = 3, MaxBatchTokens = 40 });
        Assert.Equal([[4, 1], [2, 0], [3]], batches);
        Assert.Equal(2, ExampleScorer.RowsFor(16, new ScoringOptions { BatchSize = 3, MaxBatchTokens = 40 }));
        Assert.Equal(1, ExampleScorer.RowsFor(64, new ScoringOptions { BatchSize = 3, MaxBatchTokens = 40 }));
    }

    [Fact]
    public void AnExampleWithoutResponseTokensIsRefused()
    {
        using var model = ScoringFixtures.TinyModel();
        var empty = new TokenizedExample("e", [1, 2, 3], [false, false, false]);
        var error = Assert.Throws<ArgumentException>(() => ExampleScorer.ScoreAll(model, [empty], new ScoringOptions()));
        Assert.Contains("'e'", error.Message);
    }
}

using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Models;
using Sift.Native;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Tests.Training;

/// <summary>
/// Training gives the same bits at any thread count (SIFT_THREADS: libtorch's threads and Sift's own).
/// What once broke it: MKL's sgemm, libtorch's BLAS, rounds a product of 5–11 rows (8 aside) differently
/// with two threads than with one, and SFTMix's fused loss multiplied the few rows no pair uses as a chunk
/// of their own (the demo's SFTMix runs ended 0.5660 vs 0.5862 in NTP loss at SIFT_THREADS=1 and 2); the
/// gradient diagnostics summed with libtorch's dot, which splits its sum by the thread count. Runs in the
/// collection that runs alone, as it changes the process's thread count.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public class ThreadCountTests
{
    /// <summary>Runs <paramref name="body"/> with <paramref name="threads"/> libtorch and Sift worker threads, then restores both.</summary>
    internal static T WithThreads<T>(int threads, Func<T> body)
    {
        var before = Environment.GetEnvironmentVariable(WorkerThreads.Variable);
        Environment.SetEnvironmentVariable(WorkerThreads.Variable, threads.ToString());
        set_num_threads(threads);
        try { return body(); }
        finally
        {
            Environment.SetEnvironmentVariable(WorkerThreads.Variable, before);
            set_num_threads(WorkerThreads.Count);
        }
    }

    /// <summary>
    /// What the fused loss and the scorer rely on (RowStableProduct's summary): each row of a product of 1–4, 8 or
    /// 12 and more rows with the head comes out the same at one and two threads, and the rows of a product
    /// padded to MinRows rows are those of the unpadded product at one thread (so padding changes no
    /// single-thread result). A libtorch or MKL upgrade that changes this fails here first.
    /// </summary>
    [Theory]
    [InlineData(259, 64)]   // the demo's vocabulary and width
    [InlineData(2048, 96)]
    public void ProductsWithTheHeadRoundAlikeAtAnyThreadCountFromTwelveRows(int vocab, int dim)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(5);
        using var head = randn([vocab, dim], generator: g);
        using var dLogits = randn([40, vocab], generator: g);
        using var hidden = randn([40, dim], generator: g);
        float[] Gradient(int threads, int rows) => WithThreads(threads, () => { using var p = dLogits[..rows].matmul(head); return p.data<float>().ToArray(); });
        float[] Logits(int threads, int rows) => WithThreads(threads, () => { using var p = hidden[..rows].matmul(head.t()); return p.data<float>().ToArray(); });
        foreach (int rows in new[] { 1, 2, 3, 4, 8 }.Concat(Enumerable.Range(12, 29)))
        {
            Assert.True(Gradient(1, rows).SequenceEqual(Gradient(2, rows)), $"dlogits·W of {rows} rows");
            Assert.True(Logits(1, rows).SequenceEqual(Logits(2, rows)), $"h·Wᵀ of {rows} rows");
        }
        var padded = Gradient(2, (int)RowStableProduct.MinRows);
        for (int rows = 4; rows < RowStableProduct.MinRows; rows++)
            Assert.True(Gradient(1, rows).SequenceEqual(padded.Take(rows * dim)), $"{rows} rows at one thread vs padded at two");
    }

    /// <summary>
    /// The gradient diagnostics' sums (Σ a·b, Σ a², Σ b²): the same bits at one and two threads, and within
    /// the rounding of their fp32 runs of 32 products (a lane of 256 elements) of the exact sums, which a
    /// double sum in order stands for (its own error, n·u₆₄ of Σ|terms|, is far below).
    /// </summary>
    [Fact]
    public void DiagnosticDotsAreTheSameAtAnyThreadCountAndCloseToExact()
    {
        using var scope = NewDisposeScope();
        const int n = 100_003;
        var g = new Generator(3);
        var a = randn([n], generator: g);
        var b = randn([n], generator: g).add(a, Scalars.One); // correlated, as the two gradients often are
        var one = WithThreads(1, () => TensorMemory.Dots(a, b));
        var two = WithThreads(2, () => TensorMemory.Dots(a, b));
        Assert.Equal(one, two);
        float[] x = a.data<float>().ToArray(), y = b.data<float>().ToArray();
        (double Sum, double Abs) Exact(float[] p, float[] q) =>
            (Enumerable.Range(0, n).Sum(i => (double)p[i] * q[i]), Enumerable.Range(0, n).Sum(i => Math.Abs((double)p[i] * q[i])));
        foreach (var (got, (sum, abs)) in new[] { (one.Ab, Exact(x, y)), (one.Aa, Exact(x, x)), (one.Bb, Exact(y, y)) })
            Assert.Equal(sum, got, (Tolerances.Fp32Sum(32) + 2 * n * Tolerances.Fp64) * abs);
    }

    /// <summary>
    /// The fused loss alone, NTP and SFTMix, on row counts and pairings that make chunks of every small size,
    /// among them 5–11 rows (of all rows, of the rows no pair uses, of the pair rows alone), and on several
    /// chunks: the same NLL, loss and gradients at one and two threads.
    /// </summary>
    [Fact]
    public void FusedLossIsTheSameAtOneAndTwoThreads()
    {
        using var scope = NewDisposeScope();
        const int vocab = 259, dim = 64;
        var g = new Generator(11);
        using var allRows = randn([40, dim], generator: g);
        using var weights = randn([vocab, dim], generator: g) * 0.3;
        using var allGold = randint(vocab, [40], generator: g);
        foreach (int rows in new[] { 3, 5, 7, 9, 11, 12, 26 })
            foreach (int pairs in new[] { 0, 1, 3, 5 }.Where(p => 2 * p <= rows))
                foreach (bool pairRowsOnly in pairs > 0 ? [false, true] : new[] { false })
                    foreach (long chunkElements in new[] { FusedLinearCrossEntropy.ChunkElements, 7L * vocab })
                    {
                        var mixup = new MixupRows(Enumerable.Range(0, pairs).Select(i => (long)(2 * i)).ToArray(),
                            Enumerable.Range(0, pairs).Select(i => (long)(2 * i + 1)).ToArray(), Enumerable.Range(0, pairs).Select(i => 0.15f + 0.2f * i).ToArray());
                        var one = WithThreads(1, () => Fused(allRows[..rows], weights, allGold[..rows], mixup, chunkElements, pairRowsOnly));
                        var two = WithThreads(2, () => Fused(allRows[..rows], weights, allGold[..rows], mixup, chunkElements, pairRowsOnly));
                        var what = $"{rows} rows, {pairs} pairs{(pairRowsOnly ? " alone" : "")}, chunks of {chunkElements / vocab} rows";
                        Assert.True(one.Nll.SequenceEqual(two.Nll), what + ": NLL");
                        Assert.True(one.RowsGradient.SequenceEqual(two.RowsGradient), what + ": gradient of the rows");
                        Assert.True(one.HeadGradient.SequenceEqual(two.HeadGradient), what + ": gradient of the head");
                        Assert.Equal(one.Loss, two.Loss);
                    }
    }

    private static (float[] Nll, float[] RowsGradient, float[] HeadGradient, float Loss) Fused(Tensor rows, Tensor head, Tensor gold, MixupRows mixup, long chunkElements, bool pairRowsOnly)
    {
        using var scope = NewDisposeScope();
        var h = rows.detach().clone().requires_grad_(true);
        var w = head.detach().clone().requires_grad_(true);
        using var loss = FusedLinearCrossEntropy.Compute(h, w, gold, 1.0 / rows.shape[0], mixup.Count > 0 ? mixup : null, 0.2 / Math.Max(1, mixup.Count), chunkElements, pairRowsOnly);
        loss.Loss.backward();
        return (loss.Nll, h.grad!.data<float>().ToArray(), w.grad!.data<float>().ToArray(), loss.Loss.item<float>());
    }

    /// <summary>
    /// A few trainer steps of the demo's model at one and at two threads end with the same weights and log the
    /// same metrics (the gradient diagnostics every second step included: libtorch's dot of its gradients
    /// differed). SFTMix: two pairs per micro-batch of a
    /// 9-token and a 4-token response each, so 10 of the 26 rows belong to no pair. NTP: micro-batches of
    /// 2 examples with 3 or 4 response tokens, 6–8 rows in all.
    /// </summary>
    [Theory]
    [InlineData("sftmix")]
    [InlineData("sftmix-mu0")]
    [InlineData("ntp")]
    public void TrainingEndsWithTheSameWeightsAtOneAndTwoThreads(string objectiveName)
    {
        using var scope = NewDisposeScope();
        bool sftmix = objectiveName.StartsWith("sftmix");
        var data = sftmix ? Examples([9, 9, 9, 9, 4, 4, 4, 4]) : Examples([3, 4, 4, 3, 3, 3, 4, 4]);
        var confident = data.Take(4).Select(e => e.Id).ToHashSet();
        var options = TrainerFixtures.Options(steps: 4) with { WarmupSteps = 0, PerDeviceTrainBatchSize = sftmix ? 4 : 2 };
        (Dictionary<string, float[]> Weights, List<string> Metrics) Train(int threads) => WithThreads(threads, () =>
        {
            ITrainingObjective objective = objectiveName switch
            {
                "sftmix" => new SftMixObjective(confident, new SftMixOptions(DiagnosticSteps: 2)),
                "sftmix-mu0" => new SftMixObjective(confident, new SftMixOptions(Mu: 0, DiagnosticSteps: 0)),
                _ => new NextTokenObjective(),
            };
            var dir = TrainerFixtures.TempDir();
            using var model = new CausalLM(ModelConfig.Create(vocabSize: 259, hiddenSize: 64, intermediateSize: 176, numLayers: 2, numHeads: 4), ScalarType.Float32);
            model.InitializeWeights(3);
            TrainerFixtures.Train(model, options, dir, data, objective);
            var metrics = File.ReadLines(Path.Combine(dir, RunFiles.Metrics.Name)).Select(line =>
            {
                var json = JsonNode.Parse(line)!.AsObject();
                json.Remove("tokens_per_second");
                return json.ToJsonString();
            }).ToList();
            return (TrainerFixtures.Weights(model), metrics);
        });
        var one = Train(1);
        var two = Train(2);
        Assert.Equal(one.Metrics, two.Metrics);
        if (objectiveName == "sftmix") Assert.Contains(one.Metrics, m => m.Contains("grad_cosine"));
        foreach (var (name, values) in one.Weights) Assert.True(values.SequenceEqual(two.Weights[name]), name);
    }

    /// <summary>One example per response length: BOS, two prompt tokens, then the response counting up from its start token.</summary>
    private static List<TokenizedExample> Examples(int[] responseLengths) => responseLengths.Select((length, i) =>
    {
        int start = 3 + i;
        var tokens = new[] { 1, 20 + i }.Concat(Enumerable.Range(start, length + 1)).ToArray();
        var trained = tokens.Select((_, p) => p >= 3).ToArray();
        return new TokenizedExample($"ex{i}", tokens, trained);
    }).ToList();
}

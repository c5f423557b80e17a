using Sift.Generation;
using Sift.Models;

namespace Sift.Tests.Generation;

public class GreedyBatchGeneratorTests
{
    private static CausalLM Model()
    {
        var model = new CausalLM(ModelConfig.Create(vocabSize: 48, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, maxPositionEmbeddings: 24));
        model.InitializeWeights(11, std: 0.2);
        return model;
    }

    private static readonly int[][] Prompts = [[1, 5], [1, 9, 4, 30, 22, 7, 7], [1], [1, 40, 3, 12]];

    [Fact]
    public void EachRowOfALeftPaddedBatchEqualsGeneratingItsPromptAlone()
    {
        using var model = Model();
        var batched = GreedyBatchGenerator.Generate(model, Prompts, 12, new HashSet<int>());
        for (int r = 0; r < Prompts.Length; r++)
            Assert.Equal(TextGenerator.Generate(model, Prompts[r], 12, new SamplingOptions(), new HashSet<int>()), batched[r]);
    }

    [Fact]
    public void RowsEndAtAStopIdAtTheCallersSignalOrAtTheModelsLength()
    {
        using var model = Model();
        var free = GreedyBatchGenerator.Generate(model, Prompts, 20, new HashSet<int>());
        Assert.Equal(24 - Prompts[1].Length, free[1].Length); // 24 positions in all: the row stops at the model's maximum length

        int stop = free[0][2];
        var stopped = GreedyBatchGenerator.Generate(model, Prompts, 20, new HashSet<int> { stop });
        for (int r = 0; r < Prompts.Length; r++)
            Assert.Equal(free[r].TakeWhile(id => id != stop), stopped[r]);

        var signalled = GreedyBatchGenerator.Generate(model, Prompts, 20, new HashSet<int>(), (row, soFar) => row == 3 && soFar.Count == 2);
        Assert.Equal(free[3][..2], signalled[3]);
        Assert.Equal(free[2], signalled[2]);
    }

    [Fact]
    public void RowsThatFinishEarlyLeaveTheBatchWithoutChangingTheOthers()
    {
        using var model = Model();
        int[][] prompts = [.. Enumerable.Range(0, 9).Select(i => Enumerable.Range(0, 1 + i % 5).Select(k => 1 + (i * 7 + k * 13) % 47).ToArray())];
        var free = GreedyBatchGenerator.Generate(model, prompts, 16, new HashSet<int>());
        // Stop ids that end the rows at many different steps, so the batch shrinks several times.
        var stops = new HashSet<int> { free[0][1], free[3][4], free[5][8] };
        var batched = GreedyBatchGenerator.Generate(model, prompts, 16, stops);
        Assert.True(batched.Select(b => b.Length).Distinct().Count() >= 3, "the rows should finish at several different steps");
        for (int r = 0; r < prompts.Length; r++)
            Assert.Equal(TextGenerator.Generate(model, prompts[r], 16, new SamplingOptions(), stops), batched[r]);
    }

    [Fact]
    public void RejectsAPromptThatFillsTheModel()
    {
        using var model = Model();
        var e = Assert.Throws<SiftException>(() => GreedyBatchGenerator.Generate(model, [[1, 2], Enumerable.Repeat(3, 24).ToArray()], 4, new HashSet<int>()));
        Assert.Contains("prompt 1 has 24 tokens", e.Message);
    }
}

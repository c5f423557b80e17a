using Sift.Generation;
using Sift.Tests.Models;
using static TorchSharp.torch;

namespace Sift.Tests.Generation;

public class TextGeneratorTests
{
    [Fact]
    public void GreedyWithCacheEqualsArgmaxOfFullRecomputation()
    {
        using var model = CausalLMTests.TinyModel();
        var prompt = new List<int> { 1, 9, 4 };
        var generated = TextGenerator.Generate(model, prompt, 10, new SamplingOptions(), new HashSet<int>()).ToList();

        var sequence = prompt.Select(i => (long)i).ToList();
        using var _ = no_grad();
        for (int step = 0; step < 10; step++)
        {
            using var output = model.Forward(tensor(sequence.ToArray()).unsqueeze(0));
            sequence.Add(output.Logits![0, -1].argmax().item<long>());
        }
        Assert.Equal(sequence.Skip(3).Select(i => (int)i), generated);
    }

    [Fact]
    public void StopsBeforeAStopId()
    {
        using var model = CausalLMTests.TinyModel();
        var all = TextGenerator.Generate(model, [1, 9, 4], 10, new SamplingOptions(), new HashSet<int>()).ToList();
        var stopped = TextGenerator.Generate(model, [1, 9, 4], 10, new SamplingOptions(), new HashSet<int> { all[3] }).ToList();
        Assert.Equal(all.TakeWhile(id => id != all[3]), stopped);
    }

    [Fact]
    public void RejectsIdsOutsideTheVocabulary() =>
        Assert.Throws<SiftException>(() => TextGenerator.Generate(CausalLMTests.TinyModel(), [1, 64], 3, new SamplingOptions(), new HashSet<int>()).ToList());
}

using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Generation;

/// <summary>Picks the next token from logits: greedy, or temperature with top-k / top-p, from a seeded generator.</summary>
public sealed class TokenSampler : IDisposable
{
    private readonly SamplingOptions _options;
    private readonly Generator _generator;

    public TokenSampler(SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _generator = new Generator((ulong)options.Seed);
    }

    /// <param name="logits">[vocab] scores of the next token, on any device: the choice is made on the CPU, with the CPU generator, so a seed draws the same tokens everywhere.</param>
    public int Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var scores = logits.to(ScalarType.Float32, CPU);
        if (_options.Temperature == 0) return (int)scores.argmax().item<long>();

        using var temperature = Scalars.Hold(_options.Temperature);
        scores = scores.div(temperature);
        if (_options.TopK > 0 && _options.TopK < scores.shape[0])
        {
            var kth = scores.topk(_options.TopK).values[-1];
            scores = scores.masked_fill(scores < kth, Scalars.NegativeInfinity);
        }
        if (_options.TopP < 1.0)
        {
            var (sorted, order) = scores.sort(descending: true);
            var cumulative = sorted.softmax(0).cumsum(0);
            // Drop a token when the tokens before it already reach p (the first token always stays).
            using var topP = Scalars.Hold(_options.TopP);
            var drop = (cumulative - sorted.softmax(0)).ge(topP);
            var dropInOriginalOrder = zeros_like(drop).scatter(0, order, drop);
            scores = scores.masked_fill(dropInOriginalOrder, Scalars.NegativeInfinity);
        }
        var probs = scores.softmax(0);
        return (int)multinomial(probs, 1, replacement: false, generator: _generator).item<long>();
    }

    public void Dispose() => _generator.Dispose();
}

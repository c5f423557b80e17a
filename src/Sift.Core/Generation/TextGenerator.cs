using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Generation;

/// <summary>Autoregressive decoding with a KV cache: one prefill pass over the prompt, then one position per step.</summary>
public static class TextGenerator
{
    /// <summary>
    /// Yields generated token ids until <paramref name="maxNewTokens"/>, a stop id (which is not
    /// yielded), or the model's maximum length. The caller may stop enumerating at any time
    /// (for example on a stop string).
    /// </summary>
    public static IEnumerable<int> Generate(CausalLM model, IReadOnlyList<int> promptIds, int maxNewTokens,
        SamplingOptions sampling, IReadOnlySet<int> stopIds, int? maxLength = null)
    {
        if (promptIds.Count == 0) throw new SiftException("the prompt is empty: give at least one token (most models start with BOS)");
        if (maxNewTokens < 0) throw new SiftException($"max new tokens must be 0 or more, got {maxNewTokens}");
        int limit = maxLength ?? model.Config.MaxPositionEmbeddings;
        if (promptIds.Count >= limit)
            throw new SiftException($"the prompt has {promptIds.Count} tokens, at or beyond the model's maximum length {limit}");
        foreach (var id in promptIds)
            if (id < 0 || id >= model.Config.VocabSize)
                throw new SiftException($"prompt token id {id} is outside the model's vocabulary (0..{model.Config.VocabSize - 1})");

        int capacity = Math.Min(limit, promptIds.Count + maxNewTokens);
        using var noGrad = no_grad();
        using var cache = new KvCache(model.Config, 1, capacity, model.DType, model.Device);
        using var sampler = new TokenSampler(sampling);
        var input = promptIds.Select(i => (long)i).ToArray();
        for (int step = 0; step < maxNewTokens && cache.Length + input.Length <= capacity; step++)
        {
            int next;
            using (var scope = NewDisposeScope())
            {
                var output = model.Forward(tensor(input).unsqueeze(0), cache: cache, computeLogits: false);
                var lastHidden = output.Hidden[0, -1];
                next = sampler.Next(model.Logits(lastHidden));
            }
            if (stopIds.Contains(next)) yield break;
            yield return next;
            input = [next];
        }
    }
}

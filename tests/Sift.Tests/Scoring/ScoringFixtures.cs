using Sift.Data;
using Sift.Models;
using static TorchSharp.torch;

namespace Sift.Tests.Scoring;

/// <summary>Tiny models and examples for scoring tests.</summary>
internal static class ScoringFixtures
{
    public static CausalLM TinyModel(long seed = 1, ScalarType dtype = ScalarType.Float32) =>
        Sift.Tests.Models.CausalLMTests.TinyModel(dtype: dtype, seed: seed);

    /// <summary>Examples of varied lengths (3..24 tokens) whose second half is the response.</summary>
    public static List<TokenizedExample> Examples(int count, int vocab = 64, int seed = 7)
    {
        var rng = new Random(seed);
        var list = new List<TokenizedExample>();
        for (int i = 0; i < count; i++)
        {
            int length = rng.Next(3, 25);
            var tokens = Enumerable.Range(0, length).Select(_ => rng.Next(1, vocab)).ToArray();
            var trained = Enumerable.Range(0, length).Select(p => p >= Math.Max(1, length / 2)).ToArray();
            list.Add(new TokenizedExample($"ex{i:D3}", tokens, trained));
        }
        return list;
    }

    /// <summary>
    /// Per-token NLL and greedy hits of one example, computed independently of the scorer: a full
    /// forward of the example alone, log_softmax over every position's logits in float64.
    /// </summary>
    public static (double[] Nll, bool[] Hit) TokenLosses(CausalLM model, TokenizedExample e)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var output = model.Forward(tensor(e.Tokens.Select(t => (long)t).ToArray()).unsqueeze(0));
        var logits = output.Logits![0].to_type(ScalarType.Float64);
        var logp = nn.functional.log_softmax(logits, -1);
        var nll = new List<double>();
        var hit = new List<bool>();
        for (int p = 1; p < e.Length; p++)
        {
            if (!e.Trained[p]) continue;
            nll.Add(-logp[p - 1, e.Tokens[p]].item<double>());
            hit.Add(logits[p - 1].argmax().item<long>() == e.Tokens[p]);
        }
        return (nll.ToArray(), hit.ToArray());
    }
}

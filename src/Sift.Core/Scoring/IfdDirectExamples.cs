using Sift.Data;
using Sift.Text;

namespace Sift.Scoring;

/// <summary>
/// The "direct" input of IFD (docs/METHODS.md, IFD): the response scored after only a minimal prefix
/// instead of the instruction. Cherry_LLM tokenizes "### Response:" + output as new text and shortens
/// its max length so both passes see roughly the same response; here the direct sequence is built from
/// token ids instead: [BOS] + tokens("### Response:") followed by exactly the trained (response) token
/// ids of the conditioned example, in order. Both passes therefore score the very same response tokens
/// (same ids, same count, same truncation), which is what makes s(A|Q)/s(A) a ratio of like with like.
/// For a multi-turn example the assistant turns follow one another with no user turns between them.
/// </summary>
public static class IfdDirectExamples
{
    public const string DefaultPrefix = "### Response:";

    /// <summary>The prefix ids: BOS when the tokenizer has one, then the encoded prefix text.</summary>
    public static int[] PrefixIds(ModelTokenizer tokenizer, string prefix)
    {
        var ids = tokenizer.Encode(prefix, addBos: tokenizer.BosId != null);
        if (ids.Length == 0)
            throw new SiftException("--ifd-prefix: the direct-answer prefix encodes to no tokens and the tokenizer has no BOS; " +
                                    "the first response token needs something to be predicted from (use the default \"### Response:\")");
        return ids;
    }

    public static TokenizedExample Direct(TokenizedExample conditioned, int[] prefixIds)
    {
        var response = new List<int>(conditioned.TrainedCount);
        for (int p = 0; p < conditioned.Length; p++)
            if (conditioned.Trained[p]) response.Add(conditioned.Tokens[p]);
        var tokens = new int[prefixIds.Length + response.Count];
        var trained = new bool[tokens.Length];
        prefixIds.CopyTo(tokens, 0);
        response.CopyTo(tokens, prefixIds.Length);
        Array.Fill(trained, true, prefixIds.Length, response.Count);
        return new TokenizedExample(conditioned.Id, tokens, trained);
    }
}

using Sift.Data;
using Sift.Models;
using Sift.Scoring;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Eval;

/// <summary>One question's log-likelihoods and picks.</summary>
/// <param name="LogLikelihoods">ll_j = Σ log p(continuation j's tokens | context), in nats.</param>
/// <param name="Lengths">Each choice's length in characters (Unicode code points, as Python's len counts), the acc_norm divisor.</param>
/// <param name="Tokens">Tokens of each continuation.</param>
/// <param name="Truncated">The context was cut from the left to fit the model's context window.</param>
public sealed record MultipleChoiceResult(string Id, int Gold, double[] LogLikelihoods, int[] Lengths, int[] Tokens, int Pred, int PredNorm, bool Truncated)
{
    public bool Acc => Pred == Gold;
    public bool AccNorm => PredNorm == Gold;
}

/// <summary>
/// Multiple-choice log-likelihood accuracy exactly as lm-evaluation-harness defines it for
/// output_type multiple_choice (Biderman et al. 2024): each choice's continuation is scored by its
/// summed log-likelihood given the context; acc = [argmax_j ll_j = gold]; acc_norm =
/// [argmax_j ll_j / len(choice_j) = gold], len counting the choice's characters without the
/// delimiter; ties go to the first choice (numpy's argmax). The log-likelihoods come from
/// <see cref="ExampleScorer"/> (the forward `sift score` uses: fp32 head and log-softmax, sums in
/// fp64), one row per (question, choice), the continuation's tokens marked as scored.
/// </summary>
public static class MultipleChoiceScoring
{
    /// <summary>(argmax ll, argmax ll / length), first index on ties.</summary>
    public static (int Pred, int PredNorm) Pick(IReadOnlyList<double> logLikelihoods, IReadOnlyList<int> lengths)
    {
        if (logLikelihoods.Count != lengths.Count || logLikelihoods.Count == 0) throw new ArgumentException("one length per log-likelihood is needed");
        return (ArgMax(logLikelihoods), ArgMax(logLikelihoods.Select((ll, j) => ll / lengths[j]).ToList()));
    }

    /// <summary>A string's length as Python's len counts it: code points, not UTF-16 units or bytes.</summary>
    public static int Length(string text) => text.EnumerateRunes().Count();

    public static List<MultipleChoiceResult> Score(CausalLM model, ModelTokenizer tokenizer, ChatTemplate? template,
        IReadOnlyList<MultipleChoiceQuestion> questions, ChoicePrompt prompt, ScoringOptions options, Action<int, int>? progress = null)
    {
        int window = model.Config.MaxPositionEmbeddings;
        var examples = new List<TokenizedExample>();
        var truncated = new bool[questions.Count];
        var choiceTexts = new List<IReadOnlyList<string>>();
        for (int i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            var text = MultipleChoicePrompts.Build(q, prompt);
            choiceTexts.Add(text.Choices);
            var (context, continuations) = MultipleChoicePrompts.Render(text, template);
            for (int j = 0; j < continuations.Count; j++)
            {
                // Raw text starts with BOS when the model expects it; a chat template writes its own.
                var (contextIds, continuationIds) = MultipleChoicePrompts.Encode(tokenizer, context, continuations[j], addBos: template == null && tokenizer.AddBosByDefault);
                if (continuationIds.Length == 0)
                    throw new SiftException($"{q.Source}: choice {j} (\"{q.Choices[j]}\") adds no tokens after the context; it cannot be scored");
                if (contextIds.Length == 0)
                    throw new SiftException($"{q.Source}: the context encodes to no tokens and the tokenizer has no BOS, so the first choice token has nothing to be predicted from");
                if (continuationIds.Length >= window)
                    throw new SiftException($"{q.Source}: choice {j} is {continuationIds.Length} tokens, more than the model's {window}-token context can score");
                int[] tokens = [.. contextIds, .. continuationIds];
                if (tokens.Length > window)
                {
                    tokens = tokens[^window..]; // the harness keeps the end too: the context loses its first tokens
                    truncated[i] = true;
                }
                var trained = new bool[tokens.Length];
                Array.Fill(trained, true, tokens.Length - continuationIds.Length, continuationIds.Length);
                examples.Add(new TokenizedExample($"{i}:{j}", tokens, trained));
            }
        }

        var byId = new Dictionary<string, ExampleStats>(StringComparer.Ordinal);
        ExampleScorer.Score(model, examples, options, batch =>
        {
            foreach (var e in batch) byId[e.Id] = e;
            progress?.Invoke(byId.Count, examples.Count);
        });
        var stats = examples.Select(e => byId[e.Id]).ToList();
        var results = new List<MultipleChoiceResult>(questions.Count);
        int at = 0;
        for (int i = 0; i < questions.Count; i++)
        {
            int n = choiceTexts[i].Count;
            var lls = stats.GetRange(at, n).Select(s => -s.NllSum).ToArray();
            var tokenCounts = stats.GetRange(at, n).Select(s => s.Tokens).ToArray();
            at += n;
            var lengths = choiceTexts[i].Select(Length).ToArray();
            var (pred, predNorm) = Pick(lls, lengths);
            results.Add(new MultipleChoiceResult(questions[i].Id, questions[i].Answer, lls, lengths, tokenCounts, pred, predNorm, truncated[i]));
        }
        return results;
    }

    private static int ArgMax(IReadOnlyList<double> values)
    {
        int best = 0;
        for (int j = 1; j < values.Count; j++)
            if (values[j] > values[best] || (double.IsNaN(values[j]) && !double.IsNaN(values[best]))) best = j;
        return best;
    }
}

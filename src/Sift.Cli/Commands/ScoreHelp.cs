using Sift.Scoring;

namespace Sift.Cli.Commands;

/// <summary>
/// The `sift score` help: what every model score shares is said once, on `sift score --help`; each
/// subcommand says only its own formula and columns (<see cref="IScoreMethod.Help"/>), citing docs/SCORING.md
/// (the full text) and the papers.
/// </summary>
public static class ScoreHelp
{
    public static string Score =>
        $"Per-example scores: {string.Join(", ", ScoreMethods.All.Select(m => m.Title))}; merge shards; plot. " +
        "Per example, over its response (trained) tokens t = 1..T under a model m: nll_sum = sum_t -log p_m(y_t | x, y_<t); " +
        "L = nll_sum / T; perplexity = exp(L); accuracy = (1/T) sum_t [argmax = y_t]. One forward pass per example per model, " +
        "no gradients, log-softmax in fp32. Examples with no response token are excluded and listed in OUT.meta.json. " +
        "Each writes OUT.parquet, OUT.jsonl and OUT.meta.json; --shard I/N writes OUT.shard-I-of-N.* (merge with `sift score merge`). " +
        "Formulas and choices: docs/SCORING.md.";
}

namespace Sift.Cli.Commands;

/// <summary>
/// The `sift score` help: what every model score shares is said once, on `sift score --help`; each
/// subcommand says only its own formula and columns, citing docs/SCORING.md (the full text) and the papers.
/// </summary>
public static class ScoreHelp
{
    public const string Score =
        "Per-example scores: perplexity, IFD, LoBaSS learnability, SFTMix/Cartography confidence, random; merge shards; plot. " +
        "Per example, over its response (trained) tokens t = 1..T under a model m: nll_sum = sum_t -log p_m(y_t | x, y_<t); " +
        "L = nll_sum / T; perplexity = exp(L); accuracy = (1/T) sum_t [argmax = y_t]. One forward pass per example per model, " +
        "no gradients, log-softmax in fp32. Examples with no response token are excluded and listed in OUT.meta.json. " +
        "Each writes OUT.parquet, OUT.jsonl and OUT.meta.json; --shard I/N writes OUT.shard-I-of-N.* (merge with `sift score merge`). " +
        "Formulas and choices: docs/SCORING.md.";

    public const string Perplexity =
        "Perplexity (Marion et al. 2023): PPL(i) = exp(L(i)). Columns: loss, perplexity, accuracy, nll_sum, n_tokens. See `sift score --help`.";

    public const string Ifd =
        "IFD (Cherry LLM, Li et al. 2024): s(A|Q) = L after the prompt, s(A) = L of the same response tokens after only " +
        "[BOS] + \"### Response:\"; ifd_loss_ratio = s(A|Q) / s(A); ifd_ppl_ratio = exp(s(A|Q) - s(A)) (Superfiltering). " +
        "NaN when s(A) <= 1e-8. See `sift score --help`.";

    public const string Learnability =
        "LoBaSS / DavIR learnability (Zhou et al. 2023): S = 1 - L_ref / L_base; S_diff = L_base - L_ref; " +
        "S_ref_denominator = L_base / L_ref - 1. --ref is --base fine-tuned on the whole pool (same architecture and tokenizer). " +
        "S is NaN when L_base <= 1e-8. See `sift score --help`.";

    public const string Confidence =
        "Confidence over C >= 2 checkpoints of one run (loss L_c, accuracy a_c): sftmix_confidence = -(1/C) sum_c exp(L_c) (SFTMix, Xiao et al. 2024); " +
        "mean_loss_confidence = -(1/C) sum_c L_c; confidence = mean p_c, variability = std p_c, correctness = sum_c a_c " +
        "(Cartography, Swayamdipta et al. 2020), p_c = exp(-L_c) or mean_t p(y_t) (--token-mean). See `sift score --help`.";

    public const string Dynamics =
        "The statistics of `sift score confidence`, from the losses the trainer recorded (RUN/training_dynamics.jsonl; " +
        "complete epochs only, at least 2). No forward passes. Writes OUT.parquet, OUT.jsonl, OUT.meta.json.";

    public const string Random =
        "Random score: uniform [0, 1) from SHA-256(\"{seed}:{id}\"), the same in every shard and file order. Writes OUT.parquet, OUT.jsonl, OUT.meta.json.";
}

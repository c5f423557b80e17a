namespace Sift.Cli.Commands;

/// <summary>The formulas each `sift score` subcommand computes, as shown by --help (docs/SCORING.md has the same text).</summary>
public static class ScoreHelp
{
    public const string Common =
        "Per example, over its response (trained) tokens t = 1..T under a model m: nll_sum = sum_t -log p_m(y_t | x, y_<t); " +
        "L = nll_sum / T; perplexity = exp(L); accuracy = (1/T) sum_t [argmax = y_t]. One forward pass per example per model, " +
        "no gradients, log-softmax in fp32. Examples with no response token are excluded and listed in OUT.meta.json. " +
        "Writes OUT.parquet, OUT.jsonl and OUT.meta.json; --shard I/N writes OUT.shard-I-of-N.* (merge with `sift score merge`).";

    public const string Perplexity = "Perplexity selection statistics (methods B §2.4): PPL(i) = exp(L(i)). Columns: loss, perplexity, accuracy, nll_sum, n_tokens. " + Common;

    public const string Ifd =
        "IFD (Cherry LLM, methods B §2.2): s(A|Q) = L after the full prompt; s(A) = L of the same response tokens after only " +
        "[BOS] + \"### Response:\" (the response token ids are copied, so both passes score identical tokens); " +
        "ifd_loss_ratio = s(A|Q) / s(A) (Cherry, default); ifd_ppl_ratio = exp(s(A|Q) - s(A)) (Superfiltering). " +
        "NaN when s(A) <= 1e-8. Select with --preset ifd (drop IFD > 1, then the highest). " + Common;

    public const string Learnability =
        "LoBaSS / DavIR learnability (methods B §1.3-1.4): S = 1 - L_ref / L_base; S_diff = L_base - L_ref; " +
        "S_ref_denominator = L_base / L_ref - 1 (same ranking as S). The reference is the base fine-tuned on the whole pool; " +
        "both must share architecture and tokenizer. Rows with L_base <= 1e-8 are unscorable (scorable = false, S = NaN). " + Common;

    public const string Confidence =
        "Confidence from C checkpoints of one training run (methods A §1.1, B §2.1), with L_c and a_c the loss and greedy " +
        "accuracy at checkpoint c: sftmix_confidence = -(1/C) sum_c exp(L_c); with p_c = exp(-L_c): confidence = (1/C) sum_c p_c; " +
        "variability = sqrt((1/C) sum_c (p_c - confidence)^2) (population std); correctness = sum_c a_c. " +
        "Checkpoints come from RUN/confidence_checkpoints.json (--run) or --checkpoints; they must be one model. " + Common;

    public const string Dynamics =
        "The same confidence statistics as `sift score confidence`, from the losses the trainer recorded while training " +
        "(RUN/training_dynamics.jsonl: {step, epoch, id, loss, tokens, accuracy}); L_e and a_e are the means of an example's " +
        "records in epoch e; only complete epochs count. No forward passes. Writes OUT.parquet, OUT.jsonl and OUT.meta.json.";

    public const string Random = "Random selection score (methods B §2.4): random = uniform [0, 1) from SHA-256(\"{seed}:{id}\"); " +
                                 "the same in every shard and file order. Writes OUT.parquet, OUT.jsonl and OUT.meta.json.";
}

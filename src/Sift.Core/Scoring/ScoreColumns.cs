namespace Sift.Scoring;

/// <summary>What each score-table column means; written into every table's .meta.json and docs/SCORING.md.</summary>
public static class ScoreColumns
{
    /// <summary>Every numeric score column a table may hold, in the order reports and plots show them.</summary>
    public static readonly string[] Numeric =
    [
        "loss", "perplexity", "accuracy", "direct_loss", "ifd_loss_ratio", "ifd_ppl_ratio", "L_base", "L_ref", "S", "S_diff",
        "S_ref_denominator", "sftmix_confidence", "mean_loss_confidence", "confidence", "variability", "correctness", "random",
    ];

    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        ["id"] = "example id (the data file's id field, or the content id)",
        ["index"] = "0-based position of the example in the data file",
        ["model"] = "full path of the model folder that scored the example",
        ["model_base"] = "full path of the base model",
        ["model_ref"] = "full path of the reference model (the base fine-tuned on the whole pool)",
        ["n_tokens"] = "number of response (trained) tokens T",
        ["nll_sum"] = "sum over response tokens of -log p(gold token)",
        ["loss"] = "L = nll_sum / n_tokens, mean response-token loss",
        ["perplexity"] = "exp(L)",
        ["accuracy"] = "share of response tokens whose greedy prediction (argmax) is the gold token",
        ["direct_nll_sum"] = "IFD: nll_sum of the same response tokens after only the prefix \"### Response:\"",
        ["direct_loss"] = "IFD: s(A) = direct_nll_sum / n_tokens",
        ["ifd_loss_ratio"] = "IFD = s(A|Q) / s(A) = loss / direct_loss (Cherry LLM); NaN when direct_loss <= 1e-8",
        ["ifd_ppl_ratio"] = "IFD = exp(s(A|Q)) / exp(s(A)) (Superfiltering); NaN when direct_loss <= 1e-8",
        ["nll_sum_base"] = "nll_sum under the base model",
        ["nll_sum_ref"] = "nll_sum under the reference model",
        ["L_base"] = "mean response loss under the base model",
        ["L_ref"] = "mean response loss under the reference model",
        ["S_diff"] = "L_base - L_ref (RHO-LM, the unnormalised LoBaSS v1 form)",
        ["S"] = "1 - L_ref / L_base (LoBaSS / DavIR learnability); NaN when unscorable",
        ["S_ref_denominator"] = "L_base / L_ref - 1 (same ranking as S); NaN when unscorable or L_ref <= 1e-8",
        ["scorable"] = "false when L_base <= 1e-8 or a loss is not finite",
        ["epochs"] = "number of checkpoints (or training epochs) C the statistics average over",
        ["sftmix_confidence"] = "SFTMix: -(1/C) sum_c exp(L_c), minus the mean perplexity over checkpoints",
        ["mean_loss_confidence"] = "-(1/C) sum_c L_c, minus the mean response loss over checkpoints (SFTMix's average over losses instead of perplexities)",
        ["confidence"] = "Cartography: (1/C) sum_c p_c with p_c = exp(-L_c)",
        ["variability"] = "Cartography: population standard deviation of p_c over the C checkpoints",
        ["correctness"] = "Cartography: sum over checkpoints of the greedy token accuracy a_c (0..C)",
        ["random"] = "uniform [0, 1) from SHA-256(\"{seed}:{id}\")",
    };

    /// <summary>The Cartography columns' descriptions when p_c is the arithmetic-mean token probability (<see cref="TokenMean.Arithmetic"/>).</summary>
    public static readonly IReadOnlyDictionary<string, string> ArithmeticDescriptions = new Dictionary<string, string>
    {
        ["confidence"] = "Cartography: (1/C) sum_c p_c with p_c = (1/T) sum_t p_c(y_t), the arithmetic-mean token probability",
        ["variability"] = "Cartography: population standard deviation of p_c (arithmetic-mean token probability) over the C checkpoints",
    };

    /// <summary>
    /// Which end of each score its method treats as doubtful (+1: a high score, −1: a low score), fixed from the
    /// method's definition before any label is seen, so that a noise-detection AUROC below 0.5 means the method
    /// flags the wrong examples. See docs/SCORING.md, "Orientation".
    /// </summary>
    public static readonly IReadOnlyDictionary<string, int> FlagsDoubtful = new Dictionary<string, int>
    {
        ["loss"] = +1, ["perplexity"] = +1, ["accuracy"] = -1, // hard to predict
        ["direct_loss"] = +1,
        ["ifd_loss_ratio"] = +1, ["ifd_ppl_ratio"] = +1, // Cherry LLM: IFD near or above 1, the instruction does not help
        ["L_base"] = +1, ["L_ref"] = +1,
        ["S"] = -1, ["S_diff"] = -1, ["S_ref_denominator"] = -1, // LoBaSS keeps the most learnable, drops the least
        ["sftmix_confidence"] = -1, ["mean_loss_confidence"] = -1, // SFTMix: the unconfident half
        ["confidence"] = -1, ["variability"] = -1, ["correctness"] = -1, // Cartography: hard-to-learn, where mislabeled examples sit
        ["random"] = +1,
    };

    /// <summary>The declared orientation of a column (per-checkpoint loss_c and accuracy_c included), or null.</summary>
    public static int? Orientation(string name) =>
        FlagsDoubtful.TryGetValue(name, out var o) ? o
        : name.StartsWith("loss_", StringComparison.Ordinal) ? +1
        : name.StartsWith("accuracy_", StringComparison.Ordinal) ? -1
        : null;

    /// <summary>The description of a column, including the numbered per-checkpoint ones; <paramref name="tokenMean"/> says what p_c is.</summary>
    public static string Describe(string name, TokenMean tokenMean = TokenMean.Geometric)
    {
        if (tokenMean == TokenMean.Arithmetic && ArithmeticDescriptions.TryGetValue(name, out var a)) return a;
        if (Descriptions.TryGetValue(name, out var d)) return d;
        if (name.StartsWith("loss_", StringComparison.Ordinal)) return $"mean response loss L_c at checkpoint (or epoch) {name[5..]}";
        if (name.StartsWith("accuracy_", StringComparison.Ordinal)) return $"greedy token accuracy a_c at checkpoint (or epoch) {name[9..]}";
        return "";
    }
}

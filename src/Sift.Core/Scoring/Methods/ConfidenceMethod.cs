namespace Sift.Scoring.Methods;

/// <summary>
/// SFTMix confidence and Dataset Cartography (docs/METHODS.md, SFTMix and Cartography) over C ≥ 2 checkpoints of one
/// run, one pass each: <see cref="CheckpointConfidence"/> of every example's per-checkpoint loss and accuracy.
/// </summary>
public sealed class ConfidenceMethod : IScoreMethod
{
    /// <summary>The columns of <see cref="Statistics"/>, shared with the same statistics from recorded epochs (<see cref="DynamicsMethod"/>).</summary>
    public static readonly IReadOnlyList<ScoreColumnInfo> StatisticColumns =
    [
        ScoreColumns.Tokens,
        new("epochs", "number of checkpoints (or training epochs) C the statistics average over"),
        new("loss_", "mean response loss L_c at checkpoint (or epoch) {0}") { Numbered = true, FlagsDoubtful = +1 },
        new("accuracy_", "greedy token accuracy a_c at checkpoint (or epoch) {0}") { Numbered = true, FlagsDoubtful = -1 },
        // SFTMix: the unconfident half
        new("sftmix_confidence", "SFTMix: -(1/C) sum_c exp(L_c), minus the mean perplexity over checkpoints") { FlagsDoubtful = -1 },
        new("mean_loss_confidence", "-(1/C) sum_c L_c, minus the mean response loss over checkpoints (SFTMix's average over losses instead of perplexities)")
            { FlagsDoubtful = -1 },
        // Cartography: hard-to-learn, where mislabeled examples sit
        new("confidence", "Cartography: (1/C) sum_c p_c with p_c = exp(-L_c)")
        {
            FlagsDoubtful = -1,
            ArithmeticDescription = "Cartography: (1/C) sum_c p_c with p_c = (1/T) sum_t p_c(y_t), the arithmetic-mean token probability",
        },
        new("variability", "Cartography: population standard deviation of p_c over the C checkpoints")
        {
            FlagsDoubtful = -1,
            ArithmeticDescription = "Cartography: population standard deviation of p_c (arithmetic-mean token probability) over the C checkpoints",
        },
        new("correctness", "Cartography: sum over checkpoints of the greedy token accuracy a_c (0..C)") { FlagsDoubtful = -1 },
    ];

    public string Name => "confidence";
    public string Title => "SFTMix/Cartography confidence";
    public string Help =>
        "Confidence over C >= 2 checkpoints of one run (loss L_c, accuracy a_c): sftmix_confidence = -(1/C) sum_c exp(L_c) (SFTMix, Xiao et al. 2024); " +
        "mean_loss_confidence = -(1/C) sum_c L_c; confidence = mean p_c, variability = std p_c, correctness = sum_c a_c " +
        "(Cartography, Swayamdipta et al. 2020), p_c = exp(-L_c) or mean_t p(y_t) (--token-mean). See `sift score --help`.";
    public ScoreInputs Inputs => ScoreInputs.Checkpoints;
    public IReadOnlyList<MethodSetting> Settings => [MethodSetting.TokenMean];
    public IReadOnlyList<ScoreColumnInfo> Columns => StatisticColumns;

    public IReadOnlyList<ScorePass> Passes(IReadOnlyList<string> models) => models.Select((m, i) => new ScorePass($"c{i + 1}", m)).ToList();

    public IEnumerable<ScoreColumn> Compute(ScoreInput input) => Statistics(input);

    /// <summary>
    /// n_tokens (of the last pass), epochs, loss_1..C, accuracy_1..C and the SFTMix and Cartography statistics, one pass per
    /// checkpoint or epoch; Cartography's p_c is each pass's mean token probability under the arithmetic token mean, else exp(−L_c).
    /// </summary>
    public static IEnumerable<ScoreColumn> Statistics(ScoreInput input)
    {
        var passes = input.Passes;
        int c = passes.Count;
        var probabilities = input.Settings.TokenMean == TokenMean.Arithmetic ? passes.Select(p => p.MeanProbability).ToArray() : null;
        var stats = Enumerable.Range(0, input.Ids.Length).Select(r => CheckpointConfidence.From(
            passes.Select(p => p.Loss[r]).ToArray(), passes.Select(p => p.Accuracy[r]).ToArray(), probabilities?.Select(p => p[r]).ToArray())).ToArray();
        return
        [
            new("n_tokens", passes[^1].Tokens),
            new("epochs", Enumerable.Repeat((long)c, input.Ids.Length).ToArray()),
            .. passes.Select((p, k) => new ScoreColumn($"loss_{k + 1}", p.Loss)),
            .. passes.Select((p, k) => new ScoreColumn($"accuracy_{k + 1}", p.Accuracy)),
            new("sftmix_confidence", stats.Select(s => s.SftMixConfidence).ToArray()),
            new("mean_loss_confidence", stats.Select(s => s.MeanLossConfidence).ToArray()),
            new("confidence", stats.Select(s => s.Confidence).ToArray()),
            new("variability", stats.Select(s => s.Variability).ToArray()),
            new("correctness", stats.Select(s => s.Correctness).ToArray()),
        ];
    }
}

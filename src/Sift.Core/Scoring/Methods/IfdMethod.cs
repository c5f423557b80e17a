namespace Sift.Scoring.Methods;

/// <summary>
/// IFD (Cherry LLM, Li et al. 2024; docs/METHODS.md, IFD): one model scores each response twice, after the prompt and after
/// only a minimal prefix (<see cref="IfdDirectExamples"/>); the ratios are <see cref="InstructionFollowingDifficulty"/>.
/// </summary>
public sealed class IfdMethod : IScoreMethod
{
    public string Name => "ifd";
    public string Title => "IFD";
    public string Help =>
        "IFD (Cherry LLM, Li et al. 2024): s(A|Q) = L after the prompt, s(A) = L of the same response tokens after only " +
        "[BOS] + \"### Response:\"; ifd_loss_ratio = s(A|Q) / s(A); ifd_ppl_ratio = exp(s(A|Q) - s(A)) (Superfiltering). " +
        "NaN when s(A) <= 1e-8. See `sift score --help`.";
    public ScoreInputs Inputs => ScoreInputs.OneModel;
    public IReadOnlyList<MethodSetting> Settings => [MethodSetting.IfdPrefix];

    public IReadOnlyList<ScoreColumnInfo> Columns { get; } =
    [
        PerplexityMethod.Model, .. PerplexityMethod.Statistics,
        new("direct_nll_sum", "IFD: nll_sum of the same response tokens after only the prefix \"### Response:\""),
        new("direct_loss", "IFD: s(A) = direct_nll_sum / n_tokens") { FlagsDoubtful = +1 },
        // Cherry LLM: IFD near or above 1, the instruction does not help
        new("ifd_loss_ratio", "IFD = s(A|Q) / s(A) = loss / direct_loss (Cherry LLM); NaN when direct_loss <= 1e-8") { FlagsDoubtful = +1 },
        new("ifd_ppl_ratio", "IFD = exp(s(A|Q)) / exp(s(A)) (Superfiltering); NaN when direct_loss <= 1e-8") { FlagsDoubtful = +1 },
    ];

    public IReadOnlyList<ScorePass> Passes(IReadOnlyList<string> models) => [new("conditioned", models[0]), new("direct", models[0], Direct: true)];

    public IEnumerable<ScoreColumn> Compute(ScoreInput input)
    {
        var (conditioned, direct) = (input.Passes[0], input.Passes[1]);
        conditioned.RequireSameTokens(direct, input.Ids);
        var ifd = conditioned.Loss.Zip(direct.Loss, InstructionFollowingDifficulty.From).ToArray();
        return
        [
            input.Repeat(PerplexityMethod.Model.Name, conditioned.ModelPath),
            .. PerplexityMethod.StatisticsOf(conditioned),
            new("direct_nll_sum", direct.NllSum),
            new("direct_loss", ifd.Select(s => s.Direct).ToArray()),
            new("ifd_loss_ratio", ifd.Select(s => s.LossRatio).ToArray()),
            new("ifd_ppl_ratio", ifd.Select(s => s.PplRatio).ToArray()),
        ];
    }
}

namespace Sift.Scoring.Methods;

/// <summary>LoBaSS / DavIR learnability (Zhou et al. 2023; docs/METHODS.md, LoBaSS) from the base and reference passes: <see cref="LearnabilityScore"/>.</summary>
public sealed class LearnabilityMethod : IScoreMethod
{
    public string Name => "learnability";
    public string Title => "LoBaSS learnability";
    public string Help =>
        "LoBaSS / DavIR learnability (Zhou et al. 2023): S = 1 - L_ref / L_base; S_diff = L_base - L_ref; " +
        "S_ref_denominator = L_base / L_ref - 1. --ref is --base fine-tuned on the whole pool (same architecture and tokenizer). " +
        "S is NaN when L_base <= 1e-8. See `sift score --help`.";
    public ScoreInputs Inputs => ScoreInputs.BaseAndReference;
    public IReadOnlyList<MethodSetting> Settings => [];

    // S before S_diff: the order reports have always listed them in.
    public IReadOnlyList<ScoreColumnInfo> Columns { get; } =
    [
        new("model_base", "full path of the base model"),
        new("model_ref", "full path of the reference model (the base fine-tuned on the whole pool)"),
        ScoreColumns.Tokens,
        new("nll_sum_base", "nll_sum under the base model"),
        new("nll_sum_ref", "nll_sum under the reference model"),
        new("L_base", "mean response loss under the base model") { FlagsDoubtful = +1 },
        new("L_ref", "mean response loss under the reference model") { FlagsDoubtful = +1 },
        // LoBaSS keeps the most learnable, drops the least
        new("S", "1 - L_ref / L_base (LoBaSS / DavIR learnability); NaN when unscorable") { FlagsDoubtful = -1 },
        new("S_diff", "L_base - L_ref (RHO-LM, the unnormalised LoBaSS v1 form)") { FlagsDoubtful = -1 },
        new("S_ref_denominator", "L_base / L_ref - 1 (same ranking as S); NaN when unscorable or L_ref <= 1e-8") { FlagsDoubtful = -1 },
        new("scorable", "false when L_base <= 1e-8 or a loss is not finite"),
    ];

    public IReadOnlyList<ScorePass> Passes(IReadOnlyList<string> models) => [new("base", models[0]), new("ref", models[1])];

    public IEnumerable<ScoreColumn> Compute(ScoreInput input)
    {
        var (b, r) = (input.Passes[0], input.Passes[1]);
        b.RequireSameTokens(r, input.Ids);
        var s = b.Loss.Zip(r.Loss, LearnabilityScore.From).ToArray();
        return
        [
            input.Repeat("model_base", b.ModelPath),
            input.Repeat("model_ref", r.ModelPath),
            new("n_tokens", b.Tokens),
            new("nll_sum_base", b.NllSum),
            new("nll_sum_ref", r.NllSum),
            new("L_base", s.Select(x => x.LossBase).ToArray()),
            new("L_ref", s.Select(x => x.LossRef).ToArray()),
            new("S_diff", s.Select(x => x.Diff).ToArray()),
            new("S", s.Select(x => x.Normalized).ToArray()),
            new("S_ref_denominator", s.Select(x => x.RefDenominator).ToArray()),
            new("scorable", s.Select(x => x.Scorable).ToArray()),
        ];
    }
}

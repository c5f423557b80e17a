namespace Sift.Scoring.Methods;

/// <summary>
/// Perplexity selection (Marion et al. 2023; docs/METHODS.md, Perplexity slices): one model's statistics of each example,
/// PPL = exp(L). Its columns are the statistics every one-model score starts with.
/// </summary>
public sealed class PerplexityMethod : IScoreMethod
{
    public static readonly ScoreColumnInfo Model = new("model", "full path of the model folder that scored the example");

    /// <summary>One pass's statistics: n_tokens, nll_sum, loss, perplexity, accuracy.</summary>
    public static readonly IReadOnlyList<ScoreColumnInfo> Statistics =
    [
        ScoreColumns.Tokens,
        new("nll_sum", "sum over response tokens of -log p(gold token)"),
        new("loss", "L = nll_sum / n_tokens, mean response-token loss") { FlagsDoubtful = +1 }, // hard to predict
        new("perplexity", "exp(L)") { FlagsDoubtful = +1 },
        new("accuracy", "share of response tokens whose greedy prediction (argmax) is the gold token") { FlagsDoubtful = -1 },
    ];

    public string Name => "perplexity";
    public string Title => "perplexity";
    public string Help =>
        "Perplexity (Marion et al. 2023): PPL(i) = exp(L(i)). Columns: loss, perplexity, accuracy, nll_sum, n_tokens. See `sift score --help`.";
    public ScoreInputs Inputs => ScoreInputs.OneModel;
    public IReadOnlyList<MethodSetting> Settings => [];
    public IReadOnlyList<ScoreColumnInfo> Columns { get; } = [Model, .. Statistics];

    public IReadOnlyList<ScorePass> Passes(IReadOnlyList<string> models) => [new("model", models[0])];

    public IEnumerable<ScoreColumn> Compute(ScoreInput input) => [input.Repeat(Model.Name, input.Passes[0].ModelPath), .. StatisticsOf(input.Passes[0])];

    /// <summary>The <see cref="Statistics"/> columns of one pass.</summary>
    public static IEnumerable<ScoreColumn> StatisticsOf(PassStatistics pass) =>
    [
        new("n_tokens", pass.Tokens),
        new("nll_sum", pass.NllSum),
        new("loss", pass.Loss),
        new("perplexity", pass.Loss.Select(Math.Exp).ToArray()),
        new("accuracy", pass.Accuracy),
    ];
}

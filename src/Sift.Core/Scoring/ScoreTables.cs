using Sift.Data;

namespace Sift.Scoring;

/// <summary>Builds the table of each score kind from the per-pass statistics, one row per scored example in file order.</summary>
public static class ScoreTables
{
    /// <param name="examples">The scored examples in file order, with their file positions.</param>
    /// <param name="passes">Per pass (in <see cref="ScorePass.For"/> order), the statistics by id.</param>
    /// <param name="tokenMean">Confidence only: what Cartography's p_c is.</param>
    public static ScoreTable Build(ScoreKind kind, IReadOnlyList<(TokenizedExample Example, long Index)> examples,
        IReadOnlyList<ScorePass> passes, IReadOnlyList<IReadOnlyDictionary<string, ExampleStats>> stats, TokenMean tokenMean = TokenMean.Geometric)
    {
        var ids = examples.Select(e => e.Example.Id).ToArray();
        ExampleStats[] Pass(int p) => ids.Select(id => stats[p][id]).ToArray();
        var columns = new List<ScoreColumn>
        {
            new("id", ids),
            new("index", examples.Select(e => e.Index).ToArray()),
        };
        string[] Repeat(string value) => ids.Select(_ => value).ToArray();
        switch (kind)
        {
            case ScoreKind.Perplexity:
                columns.Add(new("model", Repeat(Path.GetFullPath(passes[0].ModelDir))));
                AddStats(columns, Pass(0));
                break;
            case ScoreKind.Ifd:
            {
                var cond = Pass(0);
                var direct = Pass(1);
                var ifd = cond.Zip(direct, InstructionFollowingDifficulty.From).ToArray();
                columns.Add(new("model", Repeat(Path.GetFullPath(passes[0].ModelDir))));
                AddStats(columns, cond);
                columns.Add(new("direct_nll_sum", direct.Select(s => s.NllSum).ToArray()));
                columns.Add(new("direct_loss", ifd.Select(s => s.Direct).ToArray()));
                columns.Add(new("ifd_loss_ratio", ifd.Select(s => s.LossRatio).ToArray()));
                columns.Add(new("ifd_ppl_ratio", ifd.Select(s => s.PplRatio).ToArray()));
                break;
            }
            case ScoreKind.Learnability:
            {
                var b = Pass(0);
                var r = Pass(1);
                var s = b.Zip(r, LearnabilityScore.From).ToArray();
                columns.Add(new("model_base", Repeat(Path.GetFullPath(passes[0].ModelDir))));
                columns.Add(new("model_ref", Repeat(Path.GetFullPath(passes[1].ModelDir))));
                columns.Add(new("n_tokens", b.Select(x => (long)x.Tokens).ToArray()));
                columns.Add(new("nll_sum_base", b.Select(x => x.NllSum).ToArray()));
                columns.Add(new("nll_sum_ref", r.Select(x => x.NllSum).ToArray()));
                columns.Add(new("L_base", s.Select(x => x.LossBase).ToArray()));
                columns.Add(new("L_ref", s.Select(x => x.LossRef).ToArray()));
                columns.Add(new("S_diff", s.Select(x => x.Diff).ToArray()));
                columns.Add(new("S", s.Select(x => x.Normalized).ToArray()));
                columns.Add(new("S_ref_denominator", s.Select(x => x.RefDenominator).ToArray()));
                columns.Add(new("scorable", s.Select(x => x.Scorable).ToArray()));
                break;
            }
            case ScoreKind.Confidence:
            {
                var perCheckpoint = Enumerable.Range(0, passes.Count).Select(Pass).ToArray();
                columns.Add(new("n_tokens", perCheckpoint[0].Select(x => (long)x.Tokens).ToArray()));
                AddConfidence(columns,
                    perCheckpoint.Select(c => c.Select(x => x.Loss).ToArray()).ToArray(),
                    perCheckpoint.Select(c => c.Select(x => x.Accuracy).ToArray()).ToArray(),
                    tokenMean == TokenMean.Arithmetic ? perCheckpoint.Select(c => c.Select(x => x.MeanProbability).ToArray()).ToArray() : null);
                break;
            }
        }
        return new ScoreTable(columns);
    }

    /// <summary>
    /// epochs, loss_1..C, accuracy_1..C and the SFTMix and Cartography statistics; [checkpoint][row] inputs.
    /// <paramref name="probabilities"/> are Cartography's p_c when it is not exp(−L_c) (the arithmetic token mean).
    /// </summary>
    public static void AddConfidence(List<ScoreColumn> columns, double[][] losses, double[][] accuracies, double[][]? probabilities = null)
    {
        int rows = losses[0].Length, c = losses.Length;
        columns.Add(new("epochs", Enumerable.Repeat((long)c, rows).ToArray()));
        for (int k = 0; k < c; k++) columns.Add(new($"loss_{k + 1}", losses[k]));
        for (int k = 0; k < c; k++) columns.Add(new($"accuracy_{k + 1}", accuracies[k]));
        var stats = Enumerable.Range(0, rows).Select(r => CheckpointConfidence.From(
            losses.Select(l => l[r]).ToArray(), accuracies.Select(a => a[r]).ToArray(), probabilities?.Select(p => p[r]).ToArray())).ToArray();
        columns.Add(new("sftmix_confidence", stats.Select(s => s.SftMixConfidence).ToArray()));
        columns.Add(new("mean_loss_confidence", stats.Select(s => s.MeanLossConfidence).ToArray()));
        columns.Add(new("confidence", stats.Select(s => s.Confidence).ToArray()));
        columns.Add(new("variability", stats.Select(s => s.Variability).ToArray()));
        columns.Add(new("correctness", stats.Select(s => s.Correctness).ToArray()));
    }

    private static void AddStats(List<ScoreColumn> columns, ExampleStats[] s)
    {
        columns.Add(new("n_tokens", s.Select(x => (long)x.Tokens).ToArray()));
        columns.Add(new("nll_sum", s.Select(x => x.NllSum).ToArray()));
        columns.Add(new("loss", s.Select(x => x.Loss).ToArray()));
        columns.Add(new("perplexity", s.Select(x => x.Perplexity).ToArray()));
        columns.Add(new("accuracy", s.Select(x => x.Accuracy).ToArray()));
    }
}

using System.Text.Json;
using Sift.Models;
using Sift.Scoring;
using Sift.Training;

namespace Sift.Tests.Scoring;

/// <summary>
/// Confidence aggregated other ways: the mean-loss confidence beside SFTMix's mean perplexity, Cartography's
/// arithmetic-mean token probability beside the geometric one, and the refusal of fewer than two checkpoints.
/// </summary>
public class ConfidenceArmsTests
{
    // Hand-computed values are exact in float64 up to a few roundings of O(1) numbers: 8·2⁻⁵³ relative.
    private const double Exact = 8 * Tolerances.Fp64;

    [Fact]
    public void EveryAggregateMatchesItsHandComputedValue()
    {
        // Two checkpoints with L = ln 2 and ln 4, accuracies ½ and ¼:
        //   sftmix_confidence    = −(e^{ln 2} + e^{ln 4})/2 = −(2 + 4)/2 = −3
        //   mean_loss_confidence = −(ln 2 + ln 4)/2 = −1.5·ln 2
        //   geometric p = e^{−L} = ½, ¼: confidence = 3/8, variability = |½ − ¼|/2 = 1/8
        //   correctness = ½ + ¼ = 0.75
        double[] losses = [Math.Log(2), Math.Log(4)];
        var geometric = CheckpointConfidence.From(losses, [0.5, 0.25]);
        Assert.Equal(-3, geometric.SftMixConfidence, Exact * 3);
        Assert.Equal(-1.5 * Math.Log(2), geometric.MeanLossConfidence, Exact);
        Assert.Equal(3.0 / 8, geometric.Confidence, Exact);
        Assert.Equal(1.0 / 8, geometric.Variability, Exact);
        Assert.Equal(0.75, geometric.Correctness, Exact);

        // Arithmetic token means p = 0.6 and 0.2 (say tokens with p = 0.9, 0.3 at the first checkpoint, 0.1, 0.3 at
        // the second): confidence = 0.4, variability = |0.6 − 0.2|/2 = 0.2; the SFTMix columns do not change.
        var arithmetic = CheckpointConfidence.From(losses, [0.5, 0.25], [0.6, 0.2]);
        Assert.Equal(0.4, arithmetic.Confidence, Exact);
        Assert.Equal(0.2, arithmetic.Variability, Exact);
        Assert.Equal(geometric.SftMixConfidence, arithmetic.SftMixConfidence);
        Assert.Equal(geometric.MeanLossConfidence, arithmetic.MeanLossConfidence);
        Assert.True(double.IsNaN(CheckpointConfidence.From(losses, [0.5, 0.25], [0.6, double.NaN]).Confidence));
    }

    [Fact]
    public void TheMeanLossColumnIsOrientedAndPlottedLikeSftMixConfidence()
    {
        Assert.Equal(-1, ScoreColumns.Orientation("mean_loss_confidence")); // low confidence = doubtful
        Assert.Contains("mean_loss_confidence", ScoreColumns.Numeric);
        Assert.StartsWith("-(1/C) sum_c L_c", ScoreColumns.Describe("mean_loss_confidence"));
        Assert.Contains("arithmetic", ScoreColumns.Describe("confidence", TokenMean.Arithmetic));
        Assert.DoesNotContain("arithmetic", ScoreColumns.Describe("confidence"));
    }

    private static string Row(long step, int epoch, string id, double loss, double accuracy, double? prob) =>
        FormattableString.Invariant($"{{\"step\": {step}, \"epoch\": {epoch}, \"id\": \"{id}\", \"loss\": {loss}, \"tokens\": 4, \"accuracy\": {accuracy}")
        + (prob is double p ? FormattableString.Invariant($", \"prob\": {p}}}") : "}");

    private static string Write(params string[] lines)
    {
        var path = Path.Combine(Paths.NewTempDir(), RunFiles.Dynamics.Name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void DynamicsTakeTheArithmeticTokenMeanFromTheRecordedProbabilities()
    {
        // Example a: epoch 0 visited twice (prob 0.5 and 0.7, mean 0.6), epoch 1 once (prob 0.2); losses 1 and 3.
        //   arithmetic: confidence = (0.6 + 0.2)/2 = 0.4, variability = 0.2
        //   geometric:  confidence = (e^{−1} + e^{−3})/2 (the prob field plays no part)
        //   mean_loss_confidence = −(1 + 3)/2 = −2
        var path = Write(Row(1, 0, "a", 0.5, 0.5, 0.5), Row(2, 0, "a", 1.5, 0.5, 0.7), Row(3, 1, "a", 3.0, 0.0, 0.2));
        var arithmetic = DynamicsScores.Run(path, tokenMean: TokenMean.Arithmetic).Table;
        Assert.Equal(0.4, arithmetic.Numbers("confidence", "t")[0], Exact);
        Assert.Equal(0.2, arithmetic.Numbers("variability", "t")[0], Exact);
        Assert.Equal(-2, arithmetic.Numbers("mean_loss_confidence", "t")[0], Exact);
        var geometric = DynamicsScores.Run(path).Table;
        Assert.Equal((Math.Exp(-1) + Math.Exp(-3)) / 2, geometric.Numbers("confidence", "t")[0], Exact);
        Assert.Equal(-2, geometric.Numbers("mean_loss_confidence", "t")[0], Exact);

        // Rows of an older trainer have no prob: the geometric mean still works, the arithmetic one is refused.
        var old = Write(Row(1, 0, "a", 1.0, 0.5, null), Row(2, 1, "a", 2.0, 0.5, null));
        Assert.Equal((Math.Exp(-1) + Math.Exp(-2)) / 2, DynamicsScores.Run(old).Table.Numbers("confidence", "t")[0], Exact);
        var e = Assert.Throws<SiftException>(() => DynamicsScores.Run(old, tokenMean: TokenMean.Arithmetic));
        Assert.Contains(old, e.Message);
        Assert.Contains("no \"prob\"", e.Message);
        Assert.Contains("--token-mean geometric", e.Message);
    }

    [Fact]
    public void FewerThanTwoCheckpointsOrEpochsAreRefusedNamingTheRunAndTheFix()
    {
        var run = Paths.NewTempDir("sift-run");
        Directory.CreateDirectory(Path.Combine(run, "confidence", "checkpoint-4"));
        File.WriteAllText(Path.Combine(run, RunFiles.ConfidenceList.Name), JsonSerializer.Serialize(new { checkpoints = new[] { "confidence/checkpoint-4" } }));
        var e = Assert.Throws<SiftException>(() => ScoreInputs.Checkpoints.CheckModels(ConfidenceList.Folders(new RunFolder(run))));
        Assert.Contains(Path.Combine(run, "confidence", "checkpoint-4"), e.Message);
        Assert.Contains("output.confidence_checkpoints ≥ 2", e.Message);

        e = Assert.Throws<SiftException>(() => ScoreInputs.Checkpoints.CheckModels(["only/one"]));
        Assert.Contains("got 1 checkpoint folder(s) (only/one)", e.Message);
        Assert.Contains("--checkpoints", e.Message);

        var path = Write(Row(1, 0, "a", 1.0, 0.5, 0.4), Row(2, 1, "a", 0.5, 0.5, 0.6));
        e = Assert.Throws<SiftException>(() => DynamicsScores.Run(path, epochs: 1));
        Assert.Contains(path, e.Message);
        Assert.Contains("1 complete epoch(s) (0) with --epochs 1", e.Message);
        Assert.Contains("schedule.num_train_epochs ≥ 2", e.Message);
    }

    [Fact]
    public void ScoreConfidenceWithTheArithmeticTokenMean()
    {
        var ws = new ScoringWorkspace();
        var second = ws.SaveModel("second", seed: 2);
        var (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--checkpoints", ws.Model, second, "--token-mean", "arithmetic", .. ws.Common("arith")]);
        Assert.True(code == 0, stderr);
        var table = ScoreTableFiles.Read(ws.Out("arith") + ".parquet");
        var meta = ScoreMeta.Read(ScoreMeta.PathFor(ws.Out("arith")));
        Assert.Equal("arithmetic", meta.TokenMean);
        Assert.Contains("arithmetic", meta.Columns["confidence"]);

        var examples = ws.Tokenized(ws.Model);
        var perCheckpoint = new[] { ws.Model, second }.Select(dir =>
        {
            using var model = ModelFolder.Load(dir);
            return (Forward: Tolerances.Fp32Forward(model.Config, examples.Values.Max(e => e.Length)),
                    Nll: examples.ToDictionary(kv => kv.Key, kv => ScoringFixtures.TokenLosses(model, kv.Value).Nll));
        }).ToList();
        for (int r = 0; r < table.RowCount; r++)
        {
            var id = table.Ids[r];
            // p_c = (1/T) Σ_t exp(−nll_t) from per-token losses of each example alone. Each nll_t is within forward·max(1, nll_t)
            // of the CLI's and |d exp(−x)/dx| ≤ 1 for x ≥ 0, so p_c within Tolerances.NllMean; the mean and the population std
            // over checkpoints are 1-Lipschitz in the max-norm.
            var p = perCheckpoint.Select(c => c.Nll[id].Average(x => Math.Exp(-x))).ToArray();
            var tl = perCheckpoint.Max(c => Tolerances.NllMean(c.Nll[id], c.Forward));
            Assert.Equal(p.Average(), table.Numbers("confidence", "t")[r], tl);
            Assert.Equal(Math.Abs(p[0] - p[1]) / 2, table.Numbers("variability", "t")[r], tl);
            var losses = perCheckpoint.Select(c => c.Nll[id].Average()).ToArray();
            Assert.Equal(-losses.Average(), table.Numbers("mean_loss_confidence", "t")[r], tl);
        }

        // The default (geometric) is another job: its own fingerprint, no token_mean in the meta, and p_c = exp(−L_c) ≤ the arithmetic mean.
        (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--checkpoints", ws.Model, second, .. ws.Common("geo")]);
        Assert.True(code == 0, stderr);
        var geoMeta = ScoreMeta.Read(ScoreMeta.PathFor(ws.Out("geo")));
        Assert.Null(geoMeta.TokenMean);
        Assert.NotEqual(meta.Fingerprint, geoMeta.Fingerprint);
        var geo = ScoreTableFiles.Read(ws.Out("geo") + ".parquet").Numbers("confidence", "t");
        var arith = table.Numbers("confidence", "t");
        // (AM–GM holds exactly; both sides are float64 sums of the same fp32 token losses, so 1e-12 relative covers their roundings.)
        Assert.All(Enumerable.Range(0, table.RowCount), r => Assert.True(geo[r] <= arith[r] * (1 + 1e-12), $"row {r}: geometric {geo[r]} > arithmetic {arith[r]}"));

        (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--checkpoints", ws.Model, .. ws.Common("one")]);
        Assert.Equal(1, code);
        Assert.Contains("got 1 checkpoint folder(s)", stderr);
        (code, _, stderr) = ScoringWorkspace.Sift(["score", "confidence", "--checkpoints", ws.Model, second, "--token-mean", "harmonic", .. ws.Common("h")]);
        Assert.Equal(1, code);
        Assert.Contains("--token-mean must be geometric or arithmetic", stderr);
    }
}

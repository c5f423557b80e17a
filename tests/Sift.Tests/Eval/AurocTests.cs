using Sift.Eval;

namespace Sift.Tests.Eval;

public class AurocTests
{
    [Fact]
    public void PerfectSeparationIsOneAndReversedIsZero()
    {
        Assert.Equal(1.0, Auroc.Compute([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Assert.Equal(0.0, Auroc.Compute([0.9, 0.8, 0.2, 0.1], [false, false, true, true]));
    }

    [Fact]
    public void HandComputedWithTies()
    {
        // Pairs (pos, neg): positives {0.5, 0.7}, negatives {0.5, 0.2, 0.9}.
        // 0.5 vs {0.5 tie=.5, 0.2 win, 0.9 loss} = 1.5; 0.7 vs {win, win, loss} = 2 → 3.5 / 6.
        Assert.Equal(3.5 / 6, Auroc.Compute([0.5, 0.7, 0.5, 0.2, 0.9], [true, true, false, false, false]), 12);
    }

    [Fact]
    public void MatchesBruteForcePairCountingOnRandomData()
    {
        var rng = new Random(5);
        var scores = Enumerable.Range(0, 300).Select(_ => Math.Round(rng.NextDouble(), 1)).ToArray();
        var labels = scores.Select(_ => rng.NextDouble() < 0.3).ToArray();
        double wins = 0, pairs = 0;
        for (int i = 0; i < scores.Length; i++)
            for (int j = 0; j < scores.Length; j++)
                if (labels[i] && !labels[j]) { pairs++; wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0; }
        Assert.Equal(wins / pairs, Auroc.Compute(scores, labels), 10);
    }

    [Fact]
    public void DeclaredOrientationIsKeptEvenWhenItReadsBelowHalfAndNaNIsExcluded()
    {
        double[] scores = [0.9, 0.8, double.NaN, 0.2, 0.1];
        bool[] labels = [false, false, true, true, true];
        Assert.Equal(1.0, Auroc.Compute(scores, labels, -1));
        Assert.Equal(0.0, Auroc.Compute(scores, labels, +1));
        Assert.True(double.IsNaN(Auroc.Compute([1, 2], [true, true])));
    }
}

using Sift.Selection;

namespace Sift.Tests.Scoring;

public class SelectorTests
{
    private static long[] Positions(int n) => Enumerable.Range(0, n).Select(i => (long)i).ToArray();

    private static int[] Rows(SelectionOutcome outcome, int subset = 0) => outcome.Subsets[subset].Rows;

    [Fact]
    public void TiesAtTheCutGoToTheEarlierExample()
    {
        double[] v = [0.5, 0.9, 0.7, 0.7, 0.7, 0.1];
        var outcome = Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.TopK(3) }, v, Positions(6), null);
        Assert.Equal([1, 2, 3], Rows(outcome));
        long[] shuffledPositions = [0, 1, 9, 3, 2, 5];
        outcome = Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.TopK(3) }, v, shuffledPositions, null);
        Assert.Equal([1, 4, 3], Rows(outcome));
        outcome = Selector.Select(new SelectionPolicy { Column = "x", Order = RankOrder.Lowest, Amount = new SelectionAmount.TopK(2) }, v, Positions(6), null);
        Assert.Equal([5, 0], Rows(outcome));
    }

    [Fact]
    public void FewerExamplesThanKSelectsAllWithANote()
    {
        var outcome = Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.TopK(10) }, [3, 1, 2], Positions(3), null);
        Assert.Equal([0, 2, 1], Rows(outcome));
        Assert.Contains(outcome.Notes, n => n.Contains("asked for 10") && n.Contains("only 3"));
    }

    [Fact]
    public void NaNAndInfinityAreNeverSelected()
    {
        double[] v = [double.NaN, double.PositiveInfinity, 1, double.NegativeInfinity, 2];
        var outcome = Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.TopK(5) }, v, Positions(5), null);
        Assert.Equal([4, 2], Rows(outcome));
        Assert.Equal(3, outcome.NonFinite);
        var split = Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.Split(0.5), Names = ["hi", "lo"] }, v, Positions(5), null);
        Assert.Equal([4], Rows(split, 0));
        Assert.Equal([2], Rows(split, 1));
    }

    [Fact]
    public void IfdPolicyDropsAboveOneThenTakesTheHighest()
    {
        double[] ifd = [0.4, 1.3, 0.95, 1.0, 2.0, 0.7];
        var policy = new SelectionPolicy { Column = "ifd_loss_ratio", DropAbove = 1.0, Amount = new SelectionAmount.TopK(2) };
        var outcome = Selector.Select(policy, ifd, Positions(6), null);
        Assert.Equal([3, 2], Rows(outcome));
        Assert.Equal(2, outcome.Filtered);
    }

    [Fact]
    public void FractionIsOfTheWholeTableAndFloored()
    {
        var v = Enumerable.Range(0, 10).Select(i => (double)i).ToArray();
        var outcome = Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.Fraction(0.25) }, v, Positions(10), null);
        Assert.Equal([9, 8], Rows(outcome));
    }

    [Fact]
    public void MedianSplitGivesTheExtraExampleToTheFirstSubset()
    {
        double[] v = [5, 1, 4, 2, 3];
        var outcome = Selector.Select(new SelectionPolicy { Column = "c", Amount = new SelectionAmount.Split(0.5), Names = ["confident", "unconfident"] }, v, Positions(5), null);
        Assert.Equal([0, 2, 4], Rows(outcome, 0));
        Assert.Equal([3, 1], Rows(outcome, 1));
        var quartile = Selector.Select(new SelectionPolicy { Column = "c", Amount = new SelectionAmount.Split(0.75), Names = ["top", "rest"] }, v, Positions(5), null);
        Assert.Equal([0, 2], Rows(quartile, 0));
    }

    [Fact]
    public void MiddleKeepsTheExamplesNearestTheMedian()
    {
        var v = Enumerable.Range(0, 9).Select(i => (double)(8 - i)).ToArray();
        var outcome = Selector.Select(new SelectionPolicy { Column = "ppl", Order = RankOrder.Middle, Amount = new SelectionAmount.TopK(3) }, v, Positions(9), null);
        Assert.Equal(new[] { 3.0, 4.0, 5.0 }, Rows(outcome).Select(r => v[r]).Order());
    }

    [Fact]
    public void ThresholdKeepsOneSide()
    {
        double[] v = [0.2, 0.8, 0.5, 0.5];
        Assert.Equal([1, 2, 3], Rows(Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.Threshold(0.5) }, v, Positions(4), null)));
        Assert.Equal([0], Rows(Selector.Select(new SelectionPolicy { Column = "x", Order = RankOrder.Lowest, Amount = new SelectionAmount.Threshold(0.3) }, v, Positions(4), null)));
    }

    [Fact]
    public void StratifiedSelectionSharesTheBudgetInProportion()
    {
        // stratum a: rows 0..5 (6 rows), stratum b: rows 6..8 (3 rows); k = 3 -> 2 from a, 1 from b
        var v = new double[] { 1, 2, 3, 4, 5, 6, 10, 20, 30 };
        var strata = new[] { "a", "a", "a", "a", "a", "a", "b", "b", "b" };
        var outcome = Selector.Select(new SelectionPolicy { Column = "x", Stratify = "s", Amount = new SelectionAmount.TopK(3) }, v, Positions(9), strata);
        Assert.Equal([5, 4, 8], Rows(outcome));
        var split = Selector.Select(new SelectionPolicy { Column = "x", Stratify = "s", Amount = new SelectionAmount.Split(0.5), Names = ["hi", "lo"] }, v, Positions(9), strata);
        Assert.Equal([5, 4, 3, 8, 7], Rows(split, 0));
        Assert.Equal([3, 3, 4], Selector.Allocate(10, [3, 3, 4]));
        Assert.Equal([1, 0, 0], Selector.Allocate(1, [2, 2, 1]));
        Assert.Equal([0, 7], Selector.Allocate(7, [2, 50]));
        Assert.Equal([2, 3], Selector.Allocate(5, [2, 3]));
    }

    [Fact]
    public void BadPoliciesAreExplained()
    {
        Assert.Contains("two names", Assert.Throws<SiftException>(() =>
            Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.Split(0.5) }, [1], [0], null)).Message);
        Assert.Contains("--random", Assert.Throws<SiftException>(() =>
            Selector.Select(new SelectionPolicy { Amount = new SelectionAmount.TopK(1) }, [1], [0], null)).Message);
        Assert.Contains("--fraction", Assert.Throws<SiftException>(() =>
            Selector.Select(new SelectionPolicy { Column = "x", Amount = new SelectionAmount.Fraction(1.5) }, [1], [0], null)).Message);
    }
}

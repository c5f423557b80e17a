using Sift.Data.Batching;

namespace Sift.Tests.Batching;

public class BatchPlannerTests
{
    private static readonly int[] Lengths = Enumerable.Range(0, 230).Select(i => 5 + (i * 37) % 91).ToArray();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EveryExampleOncePerEpochDeterministicInSeedAndEpoch(bool grouped)
    {
        List<int[]> Plan(long seed, int epoch) => grouped
            ? BatchPlanner.LengthGrouped(Lengths, 8, seed, epoch)
            : BatchPlanner.Random(Lengths.Length, 8, seed, epoch);
        var plan = Plan(1, 0);
        Assert.Equal(Enumerable.Range(0, Lengths.Length), plan.SelectMany(b => b).Order());
        Assert.Equal(Lengths.Length / 8, plan.Count(b => b.Length == 8)); // one short batch (230 = 28·8 + 6), anywhere in the order
        Assert.Equal(plan, Plan(1, 0));
        Assert.NotEqual(plan, Plan(1, 1));
        Assert.NotEqual(plan, Plan(2, 0));
    }

    [Fact]
    public void LengthGroupingMakesBatchesOfSimilarLengthsAndRandomDoesNot()
    {
        double Spread(List<int[]> plan) => plan.Average(b => b.Max(i => Lengths[i]) - b.Min(i => Lengths[i]));
        Assert.True(Spread(BatchPlanner.LengthGrouped(Lengths, 8, 1, 0)) < 10);
        Assert.True(Spread(BatchPlanner.Random(Lengths.Length, 8, 1, 0)) > 40);
    }
}

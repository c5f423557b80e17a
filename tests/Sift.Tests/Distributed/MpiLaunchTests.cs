using Sift.Distributed;

namespace Sift.Tests.Distributed;

public class MpiLaunchTests
{
    private static Func<string, string?> Env(params (string, string)[] vars) => name => vars.FirstOrDefault(v => v.Item1 == name).Item2;

    [Fact]
    public void ReadsOpenMpiAndPmiVariables()
    {
        Assert.Null(MpiLaunch.Detect(Env()));
        Assert.Equal(new MpiLaunch(1, 4, "OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE"),
            MpiLaunch.Detect(Env(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "4"))));
        Assert.Equal(new MpiLaunch(0, 2, "PMI_RANK/PMI_SIZE"), MpiLaunch.Detect(Env(("PMI_RANK", "0"), ("PMI_SIZE", "2"))));
    }

    [Theory]
    [InlineData("OMPI_COMM_WORLD_RANK", "2", "OMPI_COMM_WORLD_SIZE", "2", "do not name a rank")]
    [InlineData("PMI_RANK", "x", "PMI_SIZE", "2", "PMI_RANK='x' is not a non-negative integer")]
    [InlineData("PMI_RANK", "0", "OTHER", "2", "PMI_RANK is set but PMI_SIZE is not")]
    public void BadVariablesAreExplained(string rankName, string rank, string sizeName, string size, string expected) =>
        Assert.Contains(expected, Assert.Throws<SiftException>(() => MpiLaunch.Detect(Env((rankName, rank), (sizeName, size)))).Message);

    [Fact]
    public void SingleProcessCommandsRefuseSeveralRanksButNotOne()
    {
        MpiLaunch.RequireSingleProcess("sift eval", Env());
        MpiLaunch.RequireSingleProcess("sift eval", Env(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "1")));
        var error = Assert.Throws<SiftException>(() => MpiLaunch.RequireSingleProcess("sift eval", Env(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2"))));
        Assert.Contains("sift eval runs as one process, but it was started as rank 1 of 2", error.Message);
    }

    /// <summary>`sift eval` has no shards: started by mpirun -np 2, each rank refuses rather than both writing one folder.</summary>
    [Fact]
    public void EvalStartedAsOneOfSeveralRanksRefuses()
    {
        var start = SiftJobs.Alone(["eval", "--model", "any", "--data", "any.jsonl"]);
        start.Environment["OMPI_COMM_WORLD_RANK"] = "1";
        start.Environment["OMPI_COMM_WORLD_SIZE"] = "2";
        var (code, output) = SiftJobs.Run(start);
        Assert.Equal(1, code);
        Assert.Contains("error: sift eval runs as one process, but it was started as rank 1 of 2 (OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE)", output);
    }

    /// <summary>Without a launcher nothing loads libmpi: the default path needs no MPI installed.</summary>
    [Fact]
    public void WithoutALauncherNoWorldIsJoinedAndLibmpiIsNotLoaded()
    {
        Assert.Null(MpiWorld.Join(Env()));
        Assert.Null(MpiWorld.Join(Env(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "1"))));
        Assert.DoesNotContain("libmpi", File.ReadAllText("/proc/self/maps"));
    }
}

using Sift.IO;
using System.Text.Json.Nodes;
using Sift.Pipeline;

namespace Sift.Tests.Pipeline;

public class StageRunnerTests
{
    private sealed class Log : IProgress<string>
    {
        public List<string> Lines { get; } = [];
        public void Report(string value) => Lines.Add(value);
    }

    private static (List<Stage> Stages, Dictionary<string, int> Runs) Graph(string input, int setting, bool failInB = false)
    {
        var runs = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0, ["c"] = 0 };
        var stages = new List<Stage>
        {
            new() { Name = "c", Kind = "concat", DependsOn = ["a", "b"], Run = ctx => { runs["c"]++;
                File.WriteAllText(Path.Combine(ctx.OutputDir, "out.txt"), File.ReadAllText(Path.Combine(ctx.Output("a"), "out.txt")) + File.ReadAllText(Path.Combine(ctx.Output("b"), "out.txt"))); } },
            new() { Name = "a", Kind = "copy", InputFiles = [input], Run = ctx => { runs["a"]++; File.Copy(input, Path.Combine(ctx.OutputDir, "out.txt")); } },
            new() { Name = "b", Kind = "number", Settings = new JsonObject { ["value"] = setting }, Run = ctx => { runs["b"]++;
                if (failInB) throw new InvalidOperationException("interrupted");
                File.WriteAllText(Path.Combine(ctx.OutputDir, "out.txt"), setting.ToString()); } },
        };
        return (stages, runs);
    }

    [Fact]
    public void RunsInDependencyOrderThenReusesEverythingUnchanged()
    {
        var dir = Paths.NewTempDir();
        var input = Path.Combine(dir, "in.txt");
        File.WriteAllText(input, "x");
        var (stages, runs) = Graph(input, 1);
        var first = StageRunner.Run(stages, Path.Combine(dir, "run"), false, new Log());
        Assert.Equal(["a", "b", "c"], first.Select(r => r.Name));
        Assert.Equal("x1", File.ReadAllText(Path.Combine(first[2].OutputDir, "out.txt")));
        var second = StageRunner.Run(stages, Path.Combine(dir, "run"), false, new Log());
        Assert.All(second, r => Assert.Equal(StageOutcome.Cached, r.Outcome));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 1 }, runs);
    }

    [Fact]
    public void EditingASettingOrAnInputRedoesOnlyWhatDependsOnIt()
    {
        var dir = Paths.NewTempDir();
        var input = Path.Combine(dir, "in.txt");
        File.WriteAllText(input, "x");
        StageRunner.Run(Graph(input, 1).Stages, Path.Combine(dir, "run"), false, new Log());

        var (edited, runs) = Graph(input, 2);
        var results = StageRunner.Run(edited, Path.Combine(dir, "run"), false, new Log());
        Assert.Equal([StageOutcome.Cached, StageOutcome.Ran, StageOutcome.Ran], results.Select(r => r.Outcome));
        Assert.Equal("x2", File.ReadAllText(Path.Combine(results[2].OutputDir, "out.txt")));

        File.WriteAllText(input, "y");
        var (again, _) = Graph(input, 2);
        results = StageRunner.Run(again, Path.Combine(dir, "run"), false, new Log());
        Assert.Equal([StageOutcome.Ran, StageOutcome.Cached, StageOutcome.Ran], results.Select(r => r.Outcome));
    }

    [Fact]
    public void AnInterruptedStageLeavesNothingThatLooksFinished()
    {
        var dir = Paths.NewTempDir();
        var input = Path.Combine(dir, "in.txt");
        File.WriteAllText(input, "x");
        Assert.Throws<InvalidOperationException>(() => StageRunner.Run(Graph(input, 1, failInB: true).Stages, Path.Combine(dir, "run"), false, new Log()));
        var (stages, runs) = Graph(input, 1);
        var results = StageRunner.Run(stages, Path.Combine(dir, "run"), false, new Log());
        Assert.Equal([StageOutcome.Cached, StageOutcome.Ran, StageOutcome.Ran], results.Select(r => r.Outcome));
    }

    [Fact]
    public void DryRunPlansWithoutRunning()
    {
        var dir = Paths.NewTempDir();
        var input = Path.Combine(dir, "in.txt");
        File.WriteAllText(input, "x");
        var (stages, runs) = Graph(input, 1);
        var log = new Log();
        var results = StageRunner.Run(stages, Path.Combine(dir, "run"), true, log);
        Assert.All(results, r => Assert.Equal(StageOutcome.Planned, r.Outcome));
        Assert.All(runs.Values, n => Assert.Equal(0, n));
        Assert.Equal(3, log.Lines.Count(l => l.Contains("would run")));
    }

    [Fact]
    public void UnknownDependencyAndCyclesAreNamed()
    {
        var noop = (StageContext _) => { };
        var missing = new List<Stage> { new() { Name = "a", Kind = "k", DependsOn = ["ghost"], Run = noop } };
        Assert.Contains("'ghost'", Assert.Throws<SiftException>(() => StageRunner.Run(missing, Paths.NewTempDir(), true, new Log())).Message);
        var cycle = new List<Stage> { new() { Name = "a", Kind = "k", DependsOn = ["b"], Run = noop }, new() { Name = "b", Kind = "k", DependsOn = ["a"], Run = noop } };
        Assert.Contains("cycle", Assert.Throws<SiftException>(() => StageRunner.Run(cycle, Paths.NewTempDir(), true, new Log())).Message);
    }
}

public class ContentHashTests
{
    [Fact]
    public void AFolderHashCoversItsFilesButNotTheHashCache()
    {
        var dir = Paths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        var before = ContentHash.OfPath(dir);
        File.WriteAllText(Path.Combine(dir, Sift.IO.FileHashCache.CacheFileName), "{}");
        Assert.Equal(before, ContentHash.OfPath(dir));
        File.WriteAllText(Path.Combine(dir, "config.json"), "{ }");
        Assert.NotEqual(before, ContentHash.OfPath(dir));
    }

    [Fact]
    public void AFolderHashSkipsLockFilesEvenWhileTheyAreHeld()
    {
        var dir = Paths.NewTempDir();
        File.WriteAllText(Path.Combine(dir, "train.jsonl"), "{}");
        var before = ContentHash.OfPath(dir);
        using (Sift.IO.FolderLock.Acquire(dir))
        using (Sift.IO.FolderLock.AcquireFile(Path.Combine(dir, "scores" + Sift.IO.FolderLock.FileName), "scores"))
            Assert.Equal(before, ContentHash.OfPath(dir));
        Assert.Equal(before, ContentHash.OfPath(dir));
    }
}

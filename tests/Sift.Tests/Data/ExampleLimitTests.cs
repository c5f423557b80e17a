using Sift.Data;
using static Sift.Tests.Data.DataTestFiles;

namespace Sift.Tests.Data;

/// <summary>DatasetOptions.Limit (--limit, data.limit): the first N valid examples in file order, and nothing read past them.</summary>
public class ExampleLimitTests
{
    private readonly string _dir = Paths.NewTempDir("sift-limit");

    /// <summary>Ten Alpaca records; records 1 and 4 (0-based) are invalid (no output), and the last one too.</summary>
    private string Mixed()
    {
        var lines = Enumerable.Range(0, 10).Select(i => i is 1 or 4 or 9
            ? $$"""{"instruction": "Bad {{i}}."}"""
            : $$"""{"id": "r{{i}}", "instruction": "Say {{i}}.", "output": "{{i}}"}""");
        return Write(_dir, "mixed.jsonl", string.Join("\n", lines) + "\n");
    }

    [Fact]
    public void KeepsTheFirstNExamplesInFileOrder()
    {
        var path = Write(_dir, "ok.jsonl", string.Join("\n", Enumerable.Range(0, 8).Select(i => $$"""{"instruction": "Say {{i}}.", "output": "{{i}}"}""")) + "\n");
        var all = ReadAll(path);
        var stats = new DatasetStatistics();
        var first = ReadAll(path, new DatasetOptions { Limit = 3 }, stats);
        Assert.Equal(all.Take(3).Select(c => c.Id), first.Select(c => c.Id));
        Assert.Equal(3, stats.Records); // it stops reading there
        Assert.Equal(all.Select(c => c.Id), ReadAll(path, new DatasetOptions { Limit = 100 }).Select(c => c.Id));
    }

    [Fact]
    public void WithSkipInvalidItKeepsNValidOnes()
    {
        var path = Mixed();
        var stats = new DatasetStatistics();
        var kept = ReadAll(path, new DatasetOptions { SkipInvalid = true, Limit = 4 }, stats);
        Assert.Equal(["r0", "r2", "r3", "r5"], kept.Select(c => c.Id));
        Assert.Equal(2, stats.Invalid); // records 1 and 4; the read stopped before record 9
        Assert.Equal(6, stats.Records);
    }

    [Fact]
    public void AnInvalidRecordPastTheLimitIsNeverReached()
    {
        var path = Mixed();
        Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Equal(["r0"], ReadAll(path, new DatasetOptions { Limit = 1 }).Select(c => c.Id));
        Assert.Contains($"{path}:2: ", Assert.Throws<SiftException>(() => ReadAll(path, new DatasetOptions { Limit = 2 })).Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("ten")]
    [InlineData("2.5")]
    [InlineData("1e3")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void AnythingButAPositiveWholeNumberIsRefusedNamingWhereItCameFrom(string text)
    {
        var e = Assert.Throws<SiftException>(() => ExampleLimit.Parse(text, "recipe.yaml:4: data.limit"));
        Assert.Equal($"recipe.yaml:4: data.limit: expected a positive whole number of examples, got '{text}'; give N of at least 1 to read only " +
                     "the first N valid examples of the data file, or leave it out to read the whole file", e.Message);
    }

    [Fact]
    public void TheReaderRefusesALimitBelowOne()
    {
        var path = Mixed();
        Assert.Contains("expected a positive whole number of examples, got '0'",
            Assert.Throws<SiftException>(() => ReadAll(path, new DatasetOptions { Limit = 0 })).Message);
        Assert.Equal(12, ExampleLimit.Parse(" 12 ", "--limit"));
    }
}

using Sift.Scoring;

namespace Sift.Tests.Scoring;

public class ScoreTableFilesTests
{
    private static ScoreTable Sample() => new(
    [
        new ScoreColumn("id", new[] { "a", "b", "c" }),
        new ScoreColumn("index", new long[] { 0, 1, 2 }),
        new ScoreColumn("loss", new[] { 0.1 + 0.2, double.NaN, 1e-300 }),
        new ScoreColumn("ok", new[] { true, false, true }),
        new ScoreColumn("model", new[] { "m", "m", "m\"quoted\"" }),
    ]);

    [Fact]
    public void ParquetRoundTripsEveryValueExactly()
    {
        var dir = Paths.NewTempDir();
        ScoreTableFiles.WriteBoth(Sample(), Path.Combine(dir, "t"));
        var back = ScoreTableFiles.Read(Path.Combine(dir, "t.parquet"));
        Assert.Equal(["id", "index", "loss", "ok", "model"], back.Columns.Select(c => c.Name));
        Assert.Equal(new long[] { 0, 1, 2 }, (long[])back.Column("index", "t").Values);
        var loss = (double[])back.Column("loss", "t").Values;
        Assert.Equal(0.1 + 0.2, loss[0]);
        Assert.True(double.IsNaN(loss[1]));
        Assert.Equal(1e-300, loss[2]);
        Assert.Equal(new[] { true, false, true }, (bool[])back.Column("ok", "t").Values);
    }

    [Fact]
    public void JsonlWritesNullForNaNAndReadsItBack()
    {
        var dir = Paths.NewTempDir();
        ScoreTableFiles.WriteBoth(Sample(), Path.Combine(dir, "t"));
        var lines = File.ReadAllLines(Path.Combine(dir, "t.jsonl"));
        Assert.Equal(3, lines.Length);
        Assert.Equal("{\"id\":\"b\",\"index\":1,\"loss\":null,\"ok\":false,\"model\":\"m\"}", lines[1]);
        var back = ScoreTableFiles.Read(Path.Combine(dir, "t.jsonl"));
        var loss = back.Numbers("loss", "t");
        Assert.Equal(0.1 + 0.2, loss[0]);
        Assert.True(double.IsNaN(loss[1]));
        Assert.Equal("m\"quoted\"", back.Texts("model", "t")[2]);
    }

    [Fact]
    public void DamagedOrAmbiguousTablesNameTheProblem()
    {
        var dir = Paths.NewTempDir();
        var path = Path.Combine(dir, "bad.jsonl");
        File.WriteAllText(path, "{\"id\":\"a\",\"x\":1}\n{\"id\":\"a\",\"x\":2}\n");
        Assert.Contains("id 'a' appears twice", Assert.Throws<SiftException>(() => ScoreTableFiles.Read(path)).Message);
        File.WriteAllText(path, "{\"id\":\"a\",\"x\":1}\n{\"id\":\"b\",\n");
        Assert.Contains("bad.jsonl:2", Assert.Throws<SiftException>(() => ScoreTableFiles.Read(path)).Message);
        File.WriteAllText(path, "{\"x\":1}\n");
        Assert.Contains("no 'id' column", Assert.Throws<SiftException>(() => ScoreTableFiles.Read(path)).Message);
        Assert.Contains("not found", Assert.Throws<SiftException>(() => ScoreTableFiles.Read(Path.Combine(dir, "none.parquet"))).Message);
    }
}

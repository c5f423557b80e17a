using System.Text.Json;
using Sift.Data;
using Sift.Data.Layouts;
using static Sift.Tests.Data.DataTestFiles;

namespace Sift.Tests.Data;

/// <summary>`sift data convert` end to end, in process.</summary>
public class ConvertCommandTests
{
    private readonly string _dir = Paths.NewTempDir("sift-convert");

    // Through CliRunner: its lock keeps this output out of other tests' captured console.
    private static int Sift(params string[] args) => CliRunner.Run(args).ExitCode;

    [Fact]
    public void Gsm8k_to_parquet_round_trips()
    {
        var input = Paths.Asset("data", "gsm8k", "train.jsonl");
        var output = Path.Combine(_dir, "gsm8k.parquet");
        Assert.Equal(0, Sift("data", "convert", input, output, "--columns", "prompt=question,response=answer"));
        var stats = new DatasetStatistics();
        var back = ReadAll(output, stats: stats);
        Assert.Equal(DataLayout.Messages, stats.Layout);
        var source = ReadAll(input, new DatasetOptions { Columns = ColumnMapping.Parse("prompt=question,response=answer") });
        Assert.Equal(source.Select(c => c.Id), back.Select(c => c.Id));
        Assert.Equal(source.Select(Turns), back.Select(Turns));
        Assert.False(File.Exists(Path.Combine(_dir, "gsm8k.rejects.jsonl")));
        Assert.Equal(["gsm8k.parquet"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Invalid_input_fails_with_exit_1_and_writes_nothing()
    {
        var output = Path.Combine(_dir, "alpaca.jsonl");
        Assert.Equal(1, Sift("data", "convert", Paths.Asset("data", "alpaca-2k", "alpaca_data_2k.json"), output));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Skip_invalid_writes_messages_jsonl_and_a_rejects_file()
    {
        var output = Path.Combine(_dir, "alpaca.jsonl");
        Assert.Equal(0, Sift("data", "convert", Paths.Asset("data", "alpaca-2k", "alpaca_data_2k.json"), output, "--skip-invalid"));
        var lines = File.ReadAllLines(output);
        Assert.Equal(1996, lines.Length);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            Assert.Equal(["id", "messages"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(16, root.GetProperty("id").GetString()!.Length);
            Assert.All(root.GetProperty("messages").EnumerateArray(),
                m => Assert.Equal(["role", "content"], m.EnumerateObject().Select(p => p.Name)));
        }
        var rejects = File.ReadAllLines(Path.Combine(_dir, "alpaca.rejects.jsonl"));
        Assert.Equal([1422L, 6117, 6737, 8682], rejects.Select(r => JsonDocument.Parse(r).RootElement.GetProperty("line").GetInt64()));
        Assert.All(rejects, r => Assert.Equal("output", JsonDocument.Parse(r).RootElement.GetProperty("field").GetString()));
    }

    [Fact]
    public void Seed_tasks_to_zstd_jsonl_readable_by_the_zstd_tool()
    {
        var output = Path.Combine(_dir, "seed.jsonl.zst");
        Assert.Equal(0, Sift("data", "convert", Paths.Asset("data", "alpaca-seed-tasks", "seed_tasks.jsonl"), output, "--format", "seed-tasks"));
        var back = ReadAll(output);
        Assert.Equal(175, back.Count);
        Assert.Equal("seed_task_174#0", back[^1].Id);
        if (File.Exists("/usr/bin/zstd"))
        {
            var plain = Path.Combine(_dir, "seed.jsonl");
            using var p = System.Diagnostics.Process.Start("/usr/bin/zstd", ["-q", "-d", output, "-o", plain])!;
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            Assert.Equal(175, File.ReadAllLines(plain).Length);
        }
    }

    [Fact]
    public void Bad_flags_and_same_path_fail_with_exit_1()
    {
        var input = Good("alpaca-small.jsonl");
        Assert.Equal(1, Sift("data", "convert", input, Path.Combine(_dir, "x.jsonl"), "--format", "csv"));
        Assert.Equal(1, Sift("data", "convert", input, Path.Combine(_dir, "x.jsonl"), "--columns", "nonsense"));
        Assert.Equal(1, Sift("data", "convert", input, Path.Combine(_dir, "x.txt")));
        var copy = Path.Combine(_dir, "copy.jsonl");
        File.Copy(input, copy);
        Assert.Equal(1, Sift("data", "convert", copy, copy));
        Assert.Equal(File.ReadAllBytes(input), File.ReadAllBytes(copy));
    }
}

using System.Text;
using System.Text.Json;
using Sift.Data;
using Sift.Data.Layouts;
using static Sift.Tests.Data.DataTestFiles;

namespace Sift.Tests.Data;

public class FormatTests
{
    private readonly string _dir = Paths.NewTempDir("sift-data");

    private static readonly AlpacaRow[] Rows =
    [
        new() { Instruction = "Say hi.", Input = "", Output = "Hi!" },
        new() { Instruction = "Translate to French.", Input = "cat", Output = "chat" },
        new() { Instruction = "Ünïcödé ✓ 日本", Output = "émoji 🙂\r\n" },
    ];

    private static string JsonOf(AlpacaRow r) => JsonSerializer.Serialize(r, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });

    [Fact]
    public void The_same_examples_read_alike_from_every_format()
    {
        var jsonl = Write(_dir, "a.jsonl", string.Concat(Rows.Select(r => JsonOf(r) + "\n")));
        var json = Write(_dir, "a.json", JsonSerializer.Serialize(Rows, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        var parquet = WriteParquet(_dir, "a.parquet", Rows);
        var zst = Path.Combine(_dir, "a.jsonl.zst");
        using (var file = File.Create(zst))
        using (var z = new ZstdSharp.CompressionStream(file))
            z.Write(File.ReadAllBytes(jsonl));

        var expected = ReadAll(jsonl);
        Assert.Equal(3, expected.Count);
        Assert.Equal([("user", "Ünïcödé ✓ 日本"), ("assistant", "émoji 🙂\r\n")], Turns(expected[2]));
        foreach (var (path, format) in new[] { (json, DataFileFormat.JsonArray), (parquet, DataFileFormat.Parquet), (zst, DataFileFormat.JsonlZst) })
        {
            var stats = new DatasetStatistics();
            var got = ReadAll(path, stats: stats);
            Assert.Equal(format, stats.FileFormat);
            Assert.Equal(DataLayout.Alpaca, stats.Layout);
            Assert.Equal(expected.Select(c => c.Id), got.Select(c => c.Id));
            Assert.Equal(expected.Select(Turns), got.Select(Turns));
        }
        Assert.Equal([0L, 1, 2], ReadAll(parquet).Select(c => c.Source.LineOrRow));
        Assert.All(ReadAll(parquet), c => Assert.Equal(SourceUnit.Row, c.Source.Unit));
    }

    [Fact]
    public void Zstd_file_made_by_the_zstd_tool_reads_like_its_plain_twin()
    {
        var plain = ReadAll(Good("alpaca-small.jsonl"));
        var zst = ReadAll(Good("alpaca-small.jsonl.zst"));
        Assert.Equal(plain.Select(c => c.Id), zst.Select(c => c.Id));
        Assert.Equal(plain.Select(Turns), zst.Select(Turns));
    }

    [Fact]
    public void Damaged_zstd_stream_is_a_clear_error()
    {
        var bytes = File.ReadAllBytes(Good("alpaca-small.jsonl.zst"));
        for (int i = 20; i < bytes.Length; i++) bytes[i] ^= 0x5A;
        var path = Path.Combine(_dir, "broken.jsonl.zst");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Contains("broken.jsonl.zst", e.Message);
        Assert.Contains("zstd", e.Message);
    }

    [Fact]
    public void Json_array_elements_report_the_line_they_start_on()
    {
        var path = Write(_dir, "lines.json",
            "[\n  {\"prompt\": \"a\", \"completion\": \"b\"},\n\n  {\n    \"prompt\": \"c\",\n    \"completion\": \"d\"\n  }, {\"prompt\": \"e\", \"completion\": \"f\"}\n]\n");
        Assert.Equal([2L, 4, 7], ReadAll(path).Select(c => c.Source.LineOrRow));
    }

    [Fact]
    public void Json_array_streams_across_buffer_refills_and_grows_for_a_large_element()
    {
        var rows = Enumerable.Range(0, 3000)
            .Select(i => new AlpacaRow { Instruction = $"Task {i}", Input = "", Output = new string((char)('a' + i % 26), 700 + i % 13) })
            .ToList();
        rows.Insert(1500, new AlpacaRow { Instruction = "Big", Output = new string('z', 3_000_000) });
        var path = Write(_dir, "big.json", JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
        Assert.True(new FileInfo(path).Length > 4 << 20);
        var all = ReadAll(path);
        Assert.Equal(3001, all.Count);
        for (int i = 0; i < rows.Count; i++)
            Assert.Equal(rows[i].Output, all[i].Messages[^1].Content);
        // The last element's "{" is the line before its instruction.
        var lines = File.ReadAllLines(path);
        long instructionLine = Array.FindIndex(lines, l => l.Contains("\"Task 2999\"")) + 1;
        Assert.Equal(instructionLine - 1, all[^1].Source.LineOrRow);
    }

    [Fact]
    public void Jsonl_handles_bom_crlf_blank_lines_and_no_final_newline()
    {
        var path = Path.Combine(_dir, "crlf.jsonl");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, ..Encoding.UTF8.GetBytes(
            "{\"prompt\":\"a\",\"completion\":\"b\"}\r\n\r\n   \n{\"prompt\":\"c\",\"completion\":\"d\\r\\n\"}")]);
        var all = ReadAll(path);
        Assert.Equal([1L, 4], all.Select(c => c.Source.LineOrRow));
        Assert.Equal([("user", "c"), ("assistant", "d\r\n")], Turns(all[1]));
    }

    [Fact]
    public void Json_named_file_with_one_object_per_line_is_read_as_jsonl()
    {
        var path = Write(_dir, "lines.json", "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"c\",\"completion\":\"d\"}\n");
        var stats = new DatasetStatistics();
        Assert.Equal(2, ReadAll(path, stats: stats).Count);
        Assert.Equal(DataFileFormat.Jsonl, stats.FileFormat);
    }

    [Fact]
    public void Parquet_messages_layout_as_written_by_datasets()
    {
        var rows = new[]
        {
            new MessagesRow { Id = "x1", Messages = [new() { Role = "system", Content = "S" }, new() { Role = "user", Content = "U" }, new() { Role = "assistant", Content = "A" }] },
            new MessagesRow { Id = "x2", Messages = [new() { Role = "user", Content = "U2" }, new() { Role = "assistant", Content = "A2" }] },
        };
        var stats = new DatasetStatistics();
        var all = ReadAll(WriteParquet(_dir, "m.parquet", rows), stats: stats);
        Assert.Equal(DataLayout.Messages, stats.Layout);
        Assert.Equal(["x1", "x2"], all.Select(c => c.Id));
        Assert.Equal([("system", "S"), ("user", "U"), ("assistant", "A")], Turns(all[0]));
    }

    [Fact]
    public void Unknown_extension_and_missing_file_are_clear_errors()
    {
        var csv = Write(_dir, "data.csv", "a,b\n");
        Assert.Contains("cannot tell the file format", Assert.Throws<SiftException>(() => ReadAll(csv)).Message);
        Assert.Contains("not found", Assert.Throws<SiftException>(() => ReadAll(Path.Combine(_dir, "none.jsonl"))).Message);
    }
}

using System.Text;
using System.Text.Json;
using Sift.Data;
using Sift.Data.Writers;
using static Sift.Tests.Data.DataTestFiles;

namespace Sift.Tests.Data;

/// <summary>Details of bad-input reports: array items by index, null versus missing, BOMs, truncated zstd, empty files.</summary>
public class BadInputDetailsTests
{
    private readonly string _dir = Paths.NewTempDir("sift-data");

    private static string Alpaca(int i, string output) => $$"""{"instruction": "q{{i}}", "input": "", "output": {{output}}}""";

    [Fact]
    public void One_line_json_array_names_the_item_index_in_the_error_and_the_rejects_file()
    {
        var items = Enumerable.Range(0, 200).Select(i => Alpaca(i, i == 150 ? "7" : $"\"a{i}\""));
        var path = Write(_dir, "one-line.json", "[" + string.Join(",", items) + "]");
        var e = Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Contains($"{path}:1: item 150: field 'output' must be a string, found a number", e.Message);

        var stream = new MemoryStream();
        using (var rejects = new RejectsFile(stream))
            Assert.Equal(199, ReadAll(path, new DatasetOptions { SkipInvalid = true, Rejects = rejects }).Count);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(stream.ToArray()));
        Assert.Equal(150, doc.RootElement.GetProperty("item").GetInt64());
        Assert.Equal(1, doc.RootElement.GetProperty("line").GetInt64());
        Assert.Equal("output", doc.RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public void Jsonl_rejects_have_no_item()
    {
        var path = Write(_dir, "bad.jsonl", Alpaca(0, "\"a\"") + "\n" + Alpaca(1, "1") + "\n");
        var stream = new MemoryStream();
        using (var rejects = new RejectsFile(stream))
            ReadAll(path, new DatasetOptions { SkipInvalid = true, Rejects = rejects });
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(stream.ToArray()));
        Assert.False(doc.RootElement.TryGetProperty("item", out _));
        Assert.Equal(2, doc.RootElement.GetProperty("line").GetInt64());
    }

    [Theory]
    [InlineData("nulls.jsonl", "{\"instruction\": \"q\", \"input\": \"\", \"output\": null}\n", "nulls.jsonl:1: field 'output' is null")]
    [InlineData("nulls.json", "[{\"instruction\": \"q\", \"output\": \"a\"}, {\"instruction\": \"q2\", \"output\": null}]", "nulls.json:1: item 1: field 'output' is null")]
    [InlineData("null-list.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}\n{\"messages\": null}\n", "null-list.jsonl:2: field 'messages' is null")]
    public void A_null_field_is_reported_as_null_not_missing(string name, string text, string expected)
    {
        var e = Assert.Throws<SiftException>(() => ReadAll(Write(_dir, name, text)));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("missing", e.Message);
    }

    [Fact]
    public void Json_array_with_a_utf8_bom_reads_like_jsonl_with_one()
    {
        var bom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: true);
        var json = Path.Combine(_dir, "bom.json");
        var jsonl = Path.Combine(_dir, "bom.jsonl");
        File.WriteAllText(json, "[" + Alpaca(0, "\"a\"") + ",\n" + Alpaca(1, "\"b\"") + "]", bom);
        File.WriteAllText(jsonl, Alpaca(0, "\"a\"") + "\n" + Alpaca(1, "\"b\"") + "\n", bom);
        Assert.Equal(0xEF, File.ReadAllBytes(json)[0]);
        Assert.Equal(ReadAll(jsonl).Select(c => c.Id), ReadAll(json).Select(c => c.Id));
        Assert.Equal([1L, 2], ReadAll(json).Select(c => c.Source.LineOrRow));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void Truncated_zstd_file_names_the_file_and_says_it_is_truncated(double keep)
    {
        var plain = new MemoryStream();
        using (var zstd = new ZstdSharp.CompressionStream(plain))
        using (var w = new StreamWriter(zstd))
            for (int i = 0; i < 2000; i++) w.WriteLine(Alpaca(i, $"\"answer {i} {Guid.NewGuid()}\""));
        var bytes = plain.ToArray();
        var path = Path.Combine(_dir, "cut.jsonl.zst");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        var e = Assert.Throws<SiftException>(() => ReadAll(path, new DatasetOptions { SkipInvalid = true }));
        Assert.Contains($"{path}: ", e.Message);
        Assert.Contains("truncated or damaged", e.Message);
    }

    [Theory]
    [InlineData("train.jsonl", "")]
    [InlineData("blank.jsonl", "\n  \n")]
    [InlineData("train.json", "")]
    [InlineData("array.json", " [ ] ")]
    [InlineData("train.jsonl.zst", null)]
    public void Empty_data_file_says_it_is_empty(string name, string? text)
    {
        var path = Path.Combine(_dir, name);
        if (text != null) File.WriteAllText(path, text);
        else using (var file = File.Create(path)) using (new ZstdSharp.CompressionStream(file)) { }
        var e = Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Contains($"{path}: the file is empty (0 examples)", e.Message);
    }
}

using System.Text;
using System.Text.Json;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Writers;
using static Sift.Tests.Data.DataTestFiles;

namespace Sift.Tests.Data;

/// <summary>The corpus under tests/data/bad: each file's error names the file, line and field, and --skip-invalid keeps the rest.</summary>
public class BadInputTests
{
    private readonly string _dir = Paths.NewTempDir("sift-data");

    [Theory]
    [InlineData("malformed-json.jsonl", 2, null, "malformed JSON", 2)]
    [InlineData("wrong-type.jsonl", 2, "output", "field 'output' must be a string, found a number", 1)]
    [InlineData("missing-field.jsonl", 3, "input", "missing field 'output'", 2)]
    [InlineData("empty-assistant.jsonl", 2, "messages[1]", "message 1 (assistant) is empty", 1)]
    [InlineData("whitespace-assistant.jsonl", 3, "messages[1]", "message 1 (assistant) is empty", 2)]
    [InlineData("unknown-role.jsonl", 2, "messages[1].role", "unknown role 'bot'", 1)]
    [InlineData("roles-out-of-order.jsonl", 2, "messages[1]", "message 1 has role 'user' where 'assistant' is expected", 1)]
    [InlineData("system-not-first.jsonl", 2, "messages[2]", "a system message may only come first", 1)]
    [InlineData("ends-with-user.jsonl", 2, "messages[2]", "must end with an assistant message", 1)]
    [InlineData("invalid-utf8.jsonl", 2, null, "invalid UTF-8 at byte 21", 1)]
    [InlineData("nul-byte.jsonl", 2, null, "NUL byte at byte 19", 1)]
    [InlineData("nul-escape.jsonl", 2, "output", "field 'output' contains a NUL character", 1)]
    [InlineData("not-an-object.jsonl", 2, null, "expected a JSON object, found a list", 1)]
    [InlineData("content-not-string.jsonl", 2, "messages[0].content", "must be a string, found a list", 1)]
    [InlineData("sharegpt-unknown-role.json", 15, "conversations[1].from", "unknown role 'bot'", 1)]
    public void Each_bad_file_names_file_line_and_field_and_can_be_skipped(string name, long line, string? field, string reason, int good)
    {
        var path = Bad(name);
        var e = Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Contains($"{path}:{line}: ", e.Message);
        Assert.Contains(reason, e.Message);
        if (field != null && field != "input") Assert.Contains($"'{field}'", e.Message);
        Assert.Contains("--skip-invalid", e.Message);

        var stats = new DatasetStatistics();
        var rejects = new ExampleIdTests.ListSink();
        var kept = ReadAll(path, new DatasetOptions { SkipInvalid = true, Rejects = rejects }, stats);
        Assert.Equal(good, kept.Count);
        Assert.Equal(1, stats.Invalid);
        var r = Assert.Single(rejects.Items);
        Assert.Equal(line, r.Source.LineOrRow);
        Assert.Contains(reason, r.Reason);
        if (field != "input") Assert.Equal(field, r.Field);
        else Assert.Equal("output", r.Field);
    }

    [Fact]
    public void Huge_line_is_rejected_without_buffering_it_and_reading_goes_on()
    {
        var path = Path.Combine(_dir, "huge.jsonl");
        using (var w = new StreamWriter(path))
        {
            w.WriteLine("""{"prompt": "a", "completion": "b"}""");
            w.WriteLine($$"""{"prompt": "big", "completion": "{{new string('x', 3_000_000)}}"}""");
            w.WriteLine("""{"prompt": "c", "completion": "d"}""");
        }
        var options = new DatasetOptions { MaxRecordBytes = 1 << 20 };
        var e = Assert.Throws<SiftException>(() => ReadAll(path, options));
        Assert.Contains($"{path}:2: line is longer than the limit of 1,048,576 bytes", e.Message);

        var rejects = new ExampleIdTests.ListSink();
        var kept = ReadAll(path, options with { SkipInvalid = true, Rejects = rejects });
        Assert.Equal([1L, 3], kept.Select(c => c.Source.LineOrRow));
        var r = Assert.Single(rejects.Items);
        Assert.Equal(2, r.Source.LineOrRow);
        Assert.Equal(1024, r.Raw.Length);
    }

    [Fact]
    public void Huge_json_array_element_is_rejected_and_reading_goes_on()
    {
        var path = Write(_dir, "huge.json",
            $$"""[{"prompt": "a", "completion": "b"},{"prompt": "big", "completion": "{{new string('x', 40_000)}}", "more": [1, 2, {"k": "{{new string('y', 40_000)}}"}]},{"prompt": "c", "completion": "d"}]""");
        var options = new DatasetOptions { MaxRecordBytes = 10_000, SkipInvalid = true };
        var stats = new DatasetStatistics();
        var kept = ReadAll(path, options, stats);
        Assert.Equal([("user", "c"), ("assistant", "d")], Turns(kept[1]));
        Assert.Equal(2, kept.Count);
        Assert.Equal(1, stats.Invalid);
    }

    [Fact]
    public void Truncated_json_array_stops_even_when_skipping()
    {
        var e = Assert.Throws<SiftException>(() => ReadAll(Bad("truncated-array.json"), new DatasetOptions { SkipInvalid = true }));
        Assert.Contains("truncated-array.json:", e.Message);
        Assert.Contains("malformed JSON", e.Message);
    }

    [Fact]
    public void Parquet_without_the_expected_columns_names_them()
    {
        var rows = new[] { new QuestionAnswerRow { Question = "q", Answer = "a" } };
        var path = WriteParquet(_dir, "qa.parquet", rows);
        var undetected = Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Contains("qa.parquet", undetected.Message);
        Assert.Contains("[question, answer]", undetected.Message);

        var e = Assert.Throws<SiftException>(() => ReadAll(path, new DatasetOptions { Layout = DataLayout.Alpaca, Columns = ColumnMapping.Parse("prompt=question") }));
        Assert.Contains("qa.parquet: column 'output' not found", e.Message);
        Assert.Contains("[question, answer]", e.Message);

        var ok = ReadAll(path, new DatasetOptions { Layout = DataLayout.Alpaca, Columns = ColumnMapping.Parse("prompt=question,response=answer") });
        Assert.Equal([("user", "q"), ("assistant", "a")], Turns(Assert.Single(ok)));
    }

    [Fact]
    public void Parquet_row_with_a_null_output_names_the_row()
    {
        var rows = new[]
        {
            new AlpacaRow { Instruction = "a", Output = "b" },
            new AlpacaRow { Instruction = "c", Output = "d" },
            new AlpacaRow { Instruction = "e", Output = null },
        };
        var path = WriteParquet(_dir, "nulls.parquet", rows);
        var e = Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Contains($"{path}: row 2: missing field 'output'", e.Message);
        Assert.Equal(2, ReadAll(path, new DatasetOptions { SkipInvalid = true }).Count);
    }

    [Fact]
    public void Not_a_parquet_file_is_a_clear_error()
    {
        var path = Write(_dir, "fake.parquet", "this is not parquet");
        Assert.Contains("fake.parquet: not a readable Parquet file", Assert.Throws<SiftException>(() => ReadAll(path)).Message);
    }

    [Fact]
    public void Rejects_file_lists_line_field_reason_and_raw_text()
    {
        var stream = new MemoryStream();
        using (var rejects = new RejectsFile(stream))
            ReadAll(Bad("invalid-utf8.jsonl"), new DatasetOptions { SkipInvalid = true, Rejects = rejects });
        var line = Encoding.UTF8.GetString(stream.ToArray());
        Assert.EndsWith("\n", line);
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("line").GetInt64());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("field").ValueKind);
        Assert.Contains("invalid UTF-8", root.GetProperty("reason").GetString());
        Assert.Equal("{\"instruction\": \"caf\uFFFD\", \"input\": \"\", \"output\": \"coffee\"}", root.GetProperty("raw").GetString());
        Assert.True(root.GetProperty("raw_invalid_utf8").GetBoolean());
    }
}

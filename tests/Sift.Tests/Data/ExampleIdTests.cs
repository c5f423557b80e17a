using Sift.Data;
using Sift.Text;
using static Sift.Tests.Data.DataTestFiles;

namespace Sift.Tests.Data;

public class ExampleIdTests
{
    private readonly string _dir = Paths.NewTempDir("sift-data");

    // Expected values from Python: hashlib.sha256(b"".join(role + b"\0" + content + b"\0" ...)).hexdigest()[:16]
    [Fact]
    public void Hashed_ids_match_an_independent_sha256_of_the_canonical_form()
    {
        Assert.Equal("82053bd0ec047084", ExampleId.Of([new(ChatMessage.User, "Say hi."), new(ChatMessage.Assistant, "Hi!")]));
        Assert.Equal("55348e4de88dd378", ExampleId.Of(
            [new(ChatMessage.System, "Be brief."), new(ChatMessage.User, "Hello"), new(ChatMessage.Assistant, "Hi there")]));
        var all = ReadAll(Good("alpaca-small.jsonl"));
        Assert.Equal("82053bd0ec047084", all[0].Id);
        Assert.Equal("74baf5e1e9a7ca40", all[1].Id);
    }

    [Fact]
    public void Hashed_ids_are_stable_across_runs_and_layouts()
    {
        var alpaca = Write(_dir, "a.jsonl", """{"instruction": "Say hi.", "input": "", "output": "Hi!"}""" + "\n");
        var messages = Write(_dir, "m.jsonl", """{"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi!"}]}""" + "\n");
        var sharegpt = Write(_dir, "s.json", """[{"conversations": [{"from": "human", "value": "Say hi."}, {"from": "gpt", "value": "Hi!"}]}]""");
        var ids = new[] { alpaca, alpaca, messages, sharegpt }.Select(p => Assert.Single(ReadAll(p)).Id).Distinct();
        Assert.Equal(["82053bd0ec047084"], ids);
    }

    [Fact]
    public void Given_ids_are_kept_and_integers_become_decimal_text()
    {
        var path = Write(_dir, "ids.jsonl",
            """
            {"id": "alpha", "prompt": "a", "completion": "b"}
            {"id": 42, "prompt": "c", "completion": "d"}
            """);
        Assert.Equal(["alpha", "42"], ReadAll(path).Select(c => c.Id));
        var bad = Write(_dir, "badid.jsonl", """{"id": 1.5, "prompt": "a", "completion": "b"}""" + "\n");
        Assert.Contains("field 'id' must be a string or an integer", Assert.Throws<SiftException>(() => ReadAll(bad)).Message);
        var empty = Write(_dir, "emptyid.jsonl", """{"id": "", "prompt": "a", "completion": "b"}""" + "\n");
        Assert.Contains("field 'id' is empty", Assert.Throws<SiftException>(() => ReadAll(empty)).Message);
    }

    [Fact]
    public void Duplicate_given_id_is_an_error_naming_both_lines()
    {
        var path = Bad("duplicate-id.jsonl");
        var e = Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Contains("duplicate-id.jsonl:3", e.Message);
        Assert.Contains("duplicate id 'a'", e.Message);
        Assert.Contains("duplicate-id.jsonl:1", e.Message);

        var stats = new DatasetStatistics();
        var rejects = new ListSink();
        var kept = ReadAll(path, new DatasetOptions { SkipInvalid = true, Rejects = rejects }, stats);
        Assert.Equal(["a", "b"], kept.Select(c => c.Id));
        Assert.Equal(1, stats.DuplicateIds);
        Assert.Equal(1, stats.Invalid);
        Assert.Equal("id", Assert.Single(rejects.Items).Field);
    }

    [Fact]
    public void Duplicate_content_without_ids_is_dropped_and_reported_and_kept_under_distinct_ids()
    {
        var noIds = Write(_dir, "dup.jsonl",
            """
            {"prompt": "a", "completion": "b"}
            {"prompt": "c", "completion": "d"}
            {"prompt": "a", "completion": "b"}
            """);
        var stats = new DatasetStatistics();
        var rejects = new ListSink();
        var kept = ReadAll(noIds, new DatasetOptions { Rejects = rejects }, stats);
        Assert.Equal(2, kept.Count);
        Assert.Equal(1, stats.DuplicateContentDropped);
        Assert.Equal(0, stats.Invalid);
        var r = Assert.Single(rejects.Items);
        Assert.Equal(3, r.Source.LineOrRow);
        Assert.Contains("dup.jsonl:1", r.Reason);

        var withIds = Write(_dir, "dupids.jsonl",
            """
            {"id": 1, "prompt": "a", "completion": "b"}
            {"id": 2, "prompt": "a", "completion": "b"}
            """);
        stats = new DatasetStatistics();
        Assert.Equal(2, ReadAll(withIds, stats: stats).Count);
        Assert.Equal(1, stats.DuplicateContentKept);
    }

    internal sealed class ListSink : IRejectSink
    {
        public List<(ExampleSource Source, string? Field, string Reason, string Raw)> Items { get; } = [];
        public void Add(in Rejection r) => Items.Add((r.Source, r.Field, r.Reason, System.Text.Encoding.UTF8.GetString(r.Raw.Span)));
    }
}

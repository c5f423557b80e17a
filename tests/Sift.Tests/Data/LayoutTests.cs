using Sift.Data;
using Sift.Data.Layouts;
using static Sift.Tests.Data.DataTestFiles;

namespace Sift.Tests.Data;

public class LayoutTests
{
    private readonly string _dir = Paths.NewTempDir("sift-data");

    [Fact]
    public void Alpaca_joins_instruction_and_input_and_keeps_whitespace()
    {
        var stats = new DatasetStatistics();
        var all = ReadAll(Good("alpaca-small.jsonl"), stats: stats);
        Assert.Equal(DataLayout.Alpaca, stats.Layout);
        Assert.Equal(4, all.Count);
        Assert.Equal([("user", "Say hi."), ("assistant", "Hi!")], Turns(all[0]));
        Assert.Equal([("user", "Translate to French.\n\ncat"), ("assistant", "chat")], Turns(all[1]));
        Assert.Equal([("system", "Be brief."), ("user", "  Keep spaces  \n\n x "), ("assistant", " y \n")], Turns(all[2]));
        Assert.Equal([("user", "Count."), ("assistant", "1 2 3")], Turns(all[3]));
        Assert.Equal("7", all[3].Id);
        Assert.Equal(new ExampleSource(Good("alpaca-small.jsonl"), 3), all[2].Source);
    }

    [Fact]
    public void Prompt_completion_with_optional_system()
    {
        var path = Write(_dir, "pc.jsonl",
            """
            {"prompt": "2+2=", "completion": "4"}
            {"prompt": "Capital of France?", "completion": "Paris", "system": "Answer in one word."}
            """);
        var stats = new DatasetStatistics();
        var all = ReadAll(path, stats: stats);
        Assert.Equal(DataLayout.PromptCompletion, stats.Layout);
        Assert.Equal([("user", "2+2="), ("assistant", "4")], Turns(all[0]));
        Assert.Equal([("system", "Answer in one word."), ("user", "Capital of France?"), ("assistant", "Paris")], Turns(all[1]));
    }

    [Fact]
    public void ShareGpt_maps_human_gpt_system_and_top_level_system()
    {
        var path = Write(_dir, "sg.jsonl",
            """
            {"id": "a", "conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "Q1"}, {"from": "gpt", "value": "A1"}, {"from": "human", "value": "Q2"}, {"from": "gpt", "value": "A2"}]}
            {"id": "b", "system": "Top", "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}
            """);
        var stats = new DatasetStatistics();
        var all = ReadAll(path, stats: stats);
        Assert.Equal(DataLayout.ShareGpt, stats.Layout);
        Assert.Equal([("system", "S"), ("user", "Q1"), ("assistant", "A1"), ("user", "Q2"), ("assistant", "A2")], Turns(all[0]));
        Assert.Equal([("system", "Top"), ("user", "Q"), ("assistant", "A")], Turns(all[1]));
        Assert.Equal(["a", "b"], all.Select(c => c.Id));
    }

    [Fact]
    public void Messages_multi_turn_with_system_ignores_extra_keys()
    {
        var path = Write(_dir, "m.jsonl",
            """
            {"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello", "weight": 1}, {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye!"}], "source": "x"}
            """);
        var stats = new DatasetStatistics();
        var c = Assert.Single(ReadAll(path, stats: stats));
        Assert.Equal(DataLayout.Messages, stats.Layout);
        Assert.Equal([("system", "Be kind."), ("user", "Hi"), ("assistant", "Hello"), ("user", "Bye"), ("assistant", "Bye!")], Turns(c));
    }

    [Fact]
    public void Seed_tasks_flatten_instances_with_numbered_ids()
    {
        var path = Write(_dir, "seed.jsonl",
            """
            {"id": "t1", "name": "n", "instruction": "Antonym?", "instances": [{"input": "hot", "output": "cold"}, {"input": "", "output": "No input given."}], "is_classification": false}
            {"id": "t2", "name": "m", "instruction": "Say hi.", "instances": [{"input": "", "output": "Hi"}], "is_classification": false}
            """);
        var stats = new DatasetStatistics();
        var all = ReadAll(path, stats: stats);
        Assert.Equal(DataLayout.SeedTasks, stats.Layout);
        Assert.Equal(["t1#0", "t1#1", "t2#0"], all.Select(c => c.Id));
        Assert.Equal([("user", "Antonym?\n\nhot"), ("assistant", "cold")], Turns(all[0]));
        Assert.Equal([("user", "Antonym?"), ("assistant", "No input given.")], Turns(all[1]));
        Assert.Equal(2, stats.Records);
        Assert.Equal(3, stats.Examples);
    }

    [Fact]
    public void Format_overrides_detection()
    {
        // Both prompt/completion and Alpaca fields: detection prefers prompt/completion, --format alpaca picks the other pair.
        var path = Write(_dir, "both.jsonl", """{"prompt": "P", "completion": "C", "instruction": "I", "output": "O"}""" + "\n");
        Assert.Equal([("user", "P"), ("assistant", "C")], Turns(Assert.Single(ReadAll(path))));
        var alpaca = Assert.Single(ReadAll(path, new DatasetOptions { Layout = DataLayout.Alpaca }));
        Assert.Equal([("user", "I"), ("assistant", "O")], Turns(alpaca));
    }

    [Fact]
    public void Format_override_that_does_not_fit_names_the_missing_field()
    {
        var e = Assert.Throws<SiftException>(() => ReadAll(Good("alpaca-small.jsonl"), new DatasetOptions { Layout = DataLayout.Messages }));
        Assert.Contains("alpaca-small.jsonl:1", e.Message);
        Assert.Contains("'messages'", e.Message);
    }

    [Fact]
    public void Column_mapping_renames_fields()
    {
        var qa = Write(_dir, "qa.jsonl", """{"question": "1+1?", "answer": "2"}""" + "\n");
        var e = Assert.Throws<SiftException>(() => ReadAll(qa));
        Assert.Contains("[question, answer]", e.Message);
        Assert.Contains("--columns", e.Message);
        var mapped = ReadAll(qa, new DatasetOptions { Columns = ColumnMapping.Parse("prompt=question,response=answer") });
        Assert.Equal([("user", "1+1?"), ("assistant", "2")], Turns(Assert.Single(mapped)));

        var dialog = Write(_dir, "dialog.jsonl",
            """{"uid": "d1", "dialog": [{"speaker": "user", "text": "Hi"}, {"speaker": "assistant", "text": "Yo"}]}""" + "\n");
        var options = new DatasetOptions { Columns = ColumnMapping.Parse("messages=dialog, role=speaker, content=text, id=uid") };
        var c = Assert.Single(ReadAll(dialog, options));
        Assert.Equal("d1", c.Id);
        Assert.Equal([("user", "Hi"), ("assistant", "Yo")], Turns(c));
    }

    [Theory]
    [InlineData("prompt", "is not key=name")]
    [InlineData("answer=foo", "unknown field 'answer'")]
    [InlineData("prompt=a,instruction=b", "mapped twice")]
    public void Column_mapping_errors_say_what_is_wrong(string text, string expected)
    {
        var e = Assert.Throws<SiftException>(() => ColumnMapping.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("--columns", e.Message);
    }

    [Fact]
    public void Layout_names_parse()
    {
        Assert.Equal(DataLayout.ShareGpt, DataLayoutNames.Parse("ShareGPT"));
        Assert.Equal(DataLayout.PromptCompletion, DataLayoutNames.Parse("prompt_completion"));
        Assert.Contains("unknown layout 'csv'", Assert.Throws<SiftException>(() => DataLayoutNames.Parse("csv")).Message);
    }
}

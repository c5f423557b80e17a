using Sift.Data;
using Sift.Data.Layouts;
using static Sift.Tests.Data.DataTestFiles;

namespace Sift.Tests.Data;

/// <summary>
/// The shared real data sets. Expected counts, character totals (UTF-16 units) and hashed ids were
/// computed independently with Python's json and hashlib.
/// </summary>
public class RealDataTests
{
    private static long Chars(IEnumerable<Conversation> all) => all.Sum(c => c.Messages.Sum(m => (long)m.Content.Length));

    [Fact]
    public void Alpaca_2k_has_four_empty_outputs_and_1996_valid_examples()
    {
        var path = Paths.Asset("data", "alpaca-2k", "alpaca_data_2k.json");
        var e = Assert.Throws<SiftException>(() => ReadAll(path));
        Assert.Contains($"{path}:1422: item 284: field 'output' (the assistant turn) is empty", e.Message);

        var stats = new DatasetStatistics();
        var rejects = new ExampleIdTests.ListSink();
        var all = ReadAll(path, new DatasetOptions { SkipInvalid = true, Rejects = rejects }, stats);
        Assert.Equal(DataFileFormat.JsonArray, stats.FileFormat);
        Assert.Equal(DataLayout.Alpaca, stats.Layout);
        Assert.Equal(2000, stats.Records);
        Assert.Equal(1996, all.Count);
        Assert.Equal(4, stats.Invalid);
        Assert.Equal([1422L, 6117, 6737, 8682], rejects.Items.Select(r => r.Source.LineOrRow));
        Assert.Equal([284L, 1223, 1347, 1736], rejects.Items.Select(r => r.Source.Item));
        Assert.Equal(1996, all.Select(c => c.Id).Distinct().Count());
        // Python: sum of instruction + input + output lengths, plus 2 for each "\n\n" join (878 examples have an input).
        Assert.Equal(662_143, Chars(all));
        var withInput = all.First(c => c.Messages[0].Content.StartsWith("Identify the odd one out."));
        Assert.Equal([("user", "Identify the odd one out.\n\nTwitter, Instagram, Telegram"), ("assistant", "Telegram")], Turns(withInput));
    }

    [Fact]
    public void Seed_tasks_flatten_to_175_examples_with_numbered_ids()
    {
        var stats = new DatasetStatistics();
        var all = ReadAll(Paths.Asset("data", "alpaca-seed-tasks", "seed_tasks.jsonl"), stats: stats);
        Assert.Equal(DataLayout.SeedTasks, stats.Layout);
        Assert.Equal(175, all.Count);
        Assert.Equal(Enumerable.Range(0, 175).Select(i => $"seed_task_{i}#0"), all.Select(c => c.Id));
        Assert.Equal([("user", "What is the relation between the given pairs?\n\nNight : Day :: Right : Left"),
                      ("assistant", "The relation between the given pairs is that they are opposites.")], Turns(all[1]));
        Assert.Equal(2, all[1].Source.LineOrRow);
    }

    [Fact]
    public void Gsm8k_train_maps_question_and_answer()
    {
        var stats = new DatasetStatistics();
        var options = new DatasetOptions { Columns = ColumnMapping.Parse("prompt=question,response=answer") };
        var all = ReadAll(Paths.Asset("data", "gsm8k", "train.jsonl"), options, stats);
        Assert.Equal(DataLayout.PromptCompletion, stats.Layout);
        Assert.Equal(7473, all.Count);
        Assert.Equal(0, stats.DuplicateContentDropped);
        Assert.Equal("044b23813a3cced7", all[0].Id);
        Assert.Equal("a53ef99679f75956", all[^1].Id);
        Assert.StartsWith("Natalia sold clips to 48 of her friends in April", all[0].Messages[0].Content);
        Assert.EndsWith("\n#### 72", all[0].Messages[1].Content);
        Assert.Equal(3_900_927, Chars(all));
    }

    [Fact]
    public void ShareGpt_dummy_has_500_conversations()
    {
        var stats = new DatasetStatistics();
        var all = ReadAll(Paths.Asset("data", "sharegpt-dummy", "dummy_conversation.json"), stats: stats);
        Assert.Equal(DataLayout.ShareGpt, stats.Layout);
        Assert.Equal(500, all.Count);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"identity_{i}"), all.Select(c => c.Id));
        Assert.Equal(2000, all.Sum(c => c.Messages.Count));
        Assert.Equal(80_773, Chars(all));
        Assert.Equal([("user", "Who are you?"),
                      ("assistant", "I am Vicuna, a language model trained by researchers from Large Model Systems Organization (LMSYS)."),
                      ("user", "Have a nice day!"), ("assistant", "You too!")], Turns(all[0]));
    }
}

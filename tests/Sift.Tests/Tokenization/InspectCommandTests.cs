using Sift.Data;
using Sift.Data.Tokenization;

namespace Sift.Tests.Tokenization;

/// <summary>`sift data inspect` end to end, in process, with stories260K's tokenizer and its plain template.</summary>
public class InspectCommandTests
{
    private readonly string _dir = Paths.NewTempDir("sift-inspect");

    private const string Records = """
        {"id": "a", "instruction": "Say hi.", "output": "Hi there."}
        {"id": "b", "instruction": "Count.", "input": "To three.", "output": "1, 2, 3."}
        {"id": "c", "instruction": "Say nothing.", "output": "  "}
        {"id": "a", "instruction": "Again.", "output": "Once more."}
        """;

    private string Data(string text = Records)
    {
        var path = Path.Combine(_dir, "data.jsonl");
        File.WriteAllText(path, text + "\n");
        return path;
    }

    private static string Model => TokenizerFolders.Stories260K;

    [Fact]
    public void Shows_counts_lengths_and_marked_examples()
    {
        var data = Data();
        var (code, stdout, stderr) = CliRunner.Run("data", "inspect", data, "--model", Model, "--skip-invalid", "--examples", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("format jsonl, layout alpaca", stdout);
        Assert.Contains("4 records, 2 examples, 2 invalid (1 with an empty answer), 1 duplicate ids, 0 duplicate contents dropped", stdout);
        Assert.Contains("template plain", stdout);
        Assert.Contains("2 kept, 0 truncated, 0 dropped as too long, 0 empty", stdout);
        Assert.Contains("cache     off", stdout);

        // The plain template, written out by hand: BOS, the sections, the answer and EOS trained.
        Assert.Contains("<s>### Instruction:\nSay hi.\n\n### Response:\n⟦Hi there.</s>⟧\n\n", stdout);
        Assert.Contains("<s>### Instruction:\nCount.\n\nTo three.\n\n### Response:\n⟦1, 2, 3.</s>⟧\n\n", stdout);

        // Nearest-rank percentiles of two lengths: p50 is the shorter, p90 and up the longer.
        var tokenizer = TokenizedDataset.TokenizerFor(Model, new TokenizationOptions());
        var examples = DatasetReader.Read(data, new DatasetOptions { SkipInvalid = true }).Select(c => tokenizer.Tokenize(c).Example!).ToList();
        var (shorter, longer) = (examples.Min(e => e.Length), examples.Max(e => e.Length));
        Assert.Matches($@"all +{shorter} +{longer} +{longer} +{longer} +{shorter + longer}\n", stdout);
        var (fewer, more) = (examples.Min(e => e.TrainedCount), examples.Max(e => e.TrainedCount));
        Assert.Matches($@"trained +{fewer} +{more} +{more} +{more} +{fewer + more}\n", stdout);
        Assert.Contains($"--- example 1 of 2: id a, {examples[0].Length} tokens, {examples[0].TrainedCount} trained", stdout);
    }

    [Fact]
    public void Train_on_prompt_and_last_turn_only_move_the_marks()
    {
        var data = Data("""{"messages": [{"role": "user", "content": "One?"}, {"role": "assistant", "content": "1."}, {"role": "user", "content": "Two?"}, {"role": "assistant", "content": "2."}]}""");
        var every = CliRunner.Run("data", "inspect", data, "--model", Model, "--examples", "1");
        Assert.Contains("### Response:\n⟦1.</s>⟧\n\n### Instruction:\nTwo?\n\n### Response:\n⟦2.</s>⟧", every.Stdout);
        var last = CliRunner.Run("data", "inspect", data, "--model", Model, "--examples", "1", "--last-turn-only");
        Assert.Contains("### Response:\n1.</s>\n\n### Instruction:\nTwo?\n\n### Response:\n⟦2.</s>⟧", last.Stdout);
        Assert.Contains("trained: the last assistant turn", last.Stdout);
        var all = CliRunner.Run("data", "inspect", data, "--model", Model, "--examples", "1", "--train-on-prompt");
        Assert.Contains("<s>⟦### Instruction:\nOne?", all.Stdout);
        Assert.EndsWith("2.</s>\n\n⟧\n", all.Stdout);
    }

    [Fact]
    public void Over_length_policies_are_counted()
    {
        // With tok512 and the plain template the two examples are 41 and 52 tokens; their trained answers (with </s>)
        // are tokens 34..38 and 41..49, and two untrained newline tokens end each.
        var data = Data();
        var full = CliRunner.Run("data", "inspect", data, "--model", Model, "--skip-invalid");
        Assert.Matches(@"all +41 +52 +52 +52 +93\n", full.Stdout);
        Assert.Matches(@"trained +5 +9 +9 +9 +14\n", full.Stdout);
        var truncate = CliRunner.Run("data", "inspect", data, "--model", Model, "--skip-invalid", "--max-length", "48");
        Assert.Contains("2 kept, 1 truncated, 0 dropped as too long, 0 empty", truncate.Stdout);
        Assert.Matches(@"all +41 +48 +48 +48 +89\n", truncate.Stdout);
        Assert.Matches(@"trained +5 +7 +7 +7 +12\n", truncate.Stdout);
        var drop = CliRunner.Run("data", "inspect", data, "--model", Model, "--skip-invalid", "--max-length", "48", "--over-length", "drop");
        Assert.Contains("1 kept, 0 truncated, 1 dropped as too long, 0 empty", drop.Stdout);
        var empty = CliRunner.Run("data", "inspect", data, "--model", Model, "--skip-invalid", "--max-length", "40");
        Assert.Contains("1 kept, 1 truncated, 0 dropped as too long, 1 empty (no trained token left after truncation)", empty.Stdout);
        var template = CliRunner.Run("data", "inspect", data, "--model", Model, "--skip-invalid", "--template", "llama-2", "--examples", "1");
        Assert.Contains("template llama-2", template.Stdout);
        Assert.Contains("<s>[INST] Say hi. [/INST]⟦ Hi there. </s>⟧", template.Stdout);
    }

    [Fact]
    public void Cache_dir_is_reused_and_a_damaged_cache_noted()
    {
        var data = Data();
        var cache = Path.Combine(_dir, "cache");
        string[] args = ["data", "inspect", data, "--model", Model, "--skip-invalid", "--cache-dir", cache];
        var first = CliRunner.Run(args);
        Assert.Contains("cache     written ", first.Stdout);
        var second = CliRunner.Run(args);
        Assert.Contains("cache     hit ", second.Stdout);
        Assert.Equal(first.Stdout.Replace("cache     written", "cache     hit"), second.Stdout);
        Assert.Equal("", second.Stderr);

        var file = Directory.GetFiles(cache).Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..100]);
        var third = CliRunner.Run(args);
        Assert.Equal(0, third.ExitCode);
        Assert.StartsWith($"note: tokenized cache {file} was not used: ", third.Stderr);
        Assert.Contains("cache     written ", third.Stdout);
    }

    [Fact]
    public void Bad_input_is_one_line_and_exit_1()
    {
        var data = Data();
        var invalid = CliRunner.Run("data", "inspect", data, "--model", Model);
        Assert.Equal(1, invalid.ExitCode);
        Assert.StartsWith($"error: {data}:3: field 'output' (the assistant turn) is empty", invalid.Stderr);

        var policy = CliRunner.Run("data", "inspect", data, "--model", Model, "--over-length", "wrap");
        Assert.Equal((1, "error: --over-length: unknown policy 'wrap'; use truncate or drop.\n"), (policy.ExitCode, policy.Stderr));

        var length = CliRunner.Run("data", "inspect", data, "--model", Model, "--max-length", "1");
        Assert.Equal(1, length.ExitCode);
        Assert.Contains("data.max_length must be ≥ 2, got 1", length.Stderr);

        var template = CliRunner.Run("data", "inspect", data, "--model", Model, "--template", "vicuna");
        Assert.Equal(1, template.ExitCode);
        Assert.Contains("Unknown chat template 'vicuna'", template.Stderr);

        var noModel = CliRunner.Run("data", "inspect", data, "--model", Path.Combine(_dir, "none"));
        Assert.Equal(1, noModel.ExitCode);
        Assert.Contains("does not exist", noModel.Stderr);

        Assert.NotEqual(0, CliRunner.Run("data", "inspect", data).ExitCode);
    }

    [Fact]
    public void Percentiles_use_nearest_rank()
    {
        Assert.Equal(new TokenLengthSummary(50, 90, 99, 100, 5050, 100), TokenLengthSummary.Of(Enumerable.Range(1, 100).Select(i => (long)i)));
        Assert.Equal(new TokenLengthSummary(2, 4, 4, 4, 10, 4), TokenLengthSummary.Of([4, 1, 3, 2]));
        Assert.Equal(new TokenLengthSummary(7, 7, 7, 7, 7, 1), TokenLengthSummary.Of([7]));
        Assert.Equal(new TokenLengthSummary(0, 0, 0, 0, 0, 0), TokenLengthSummary.Of([]));
        // 1..10: p50 is the 5th value, p90 the 9th, p99 the 10th (⌈9.9⌉).
        Assert.Equal(new TokenLengthSummary(5, 9, 10, 10, 55, 10), TokenLengthSummary.Of(Enumerable.Range(1, 10).Select(i => (long)i)));
    }
}

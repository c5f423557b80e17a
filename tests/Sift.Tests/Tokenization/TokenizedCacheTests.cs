using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Tokenization;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Tests.Tokenization;

/// <summary>The tokenized cache: reused when nothing changed, rebuilt when any input did, never trusted when damaged.</summary>
public class TokenizedCacheTests
{
    private const string Lines = """
        {"instruction": "Say hi.", "output": "Hi there."}
        {"instruction": "Count to three.", "output": "1, 2, 3."}
        {"id": "named", "instruction": "Name a color.", "input": "Not red.", "output": "Blue."}
        """;

    /// <summary>A data file and a copy of stories260K's tokenizer files, both free to change.</summary>
    private sealed class Setup
    {
        public string Dir { get; } = Paths.NewTempDir("sift-cache");
        public string Data => Path.Combine(Dir, "data.jsonl");
        public string Model => Path.Combine(Dir, "model");
        public string Cache => Path.Combine(Dir, "cache");

        public Setup()
        {
            File.WriteAllText(Data, Lines + "\n");
            Directory.CreateDirectory(Model);
            foreach (var name in new[] { "tokenizer.model", "tokenizer_config.json" })
                File.Copy(Path.Combine(TokenizerFolders.Stories260K, name), Path.Combine(Model, name));
        }

        public ExampleTokenizer Tokenizer(TokenizationOptions? options = null, string? template = null) =>
            TokenizedDataset.TokenizerFor(Model, options ?? new TokenizationOptions(), template);

        public TokenizedDataset Load(ExampleTokenizer? tokenizer = null, DatasetOptions? read = null) =>
            TokenizedDataset.LoadOrBuild(Data, read ?? new DatasetOptions(), tokenizer ?? Tokenizer(), Cache);
    }

    private static void AssertSame(TokenizedDataset expected, TokenizedDataset actual)
    {
        Assert.Equal(expected.Examples.Count, actual.Examples.Count);
        for (int i = 0; i < expected.Examples.Count; i++)
        {
            Assert.Equal(expected.Examples[i].Id, actual.Examples[i].Id);
            Assert.Equal(expected.Examples[i].Tokens, actual.Examples[i].Tokens);
            Assert.Equal(expected.Examples[i].Trained, actual.Examples[i].Trained);
        }
        Assert.Equal(expected.Report.ToString(), actual.Report.ToString());
        Assert.Equal(expected.Report.Read.ToString(), actual.Report.Read.ToString());
    }

    [Fact]
    public void Second_load_reads_the_cache()
    {
        var s = new Setup();
        var uncached = TokenizedDataset.LoadOrBuild(s.Data, new DatasetOptions(), s.Tokenizer());
        Assert.Equal(TokenizedCacheUse.Off, uncached.Cache);

        var first = s.Load();
        Assert.False(first.Cache.Hit);
        Assert.Null(first.Cache.Note);
        Assert.True(File.Exists(first.Cache.Path));
        Assert.Equal(s.Cache, Path.GetDirectoryName(first.Cache.Path));
        AssertSame(uncached, first);

        var second = s.Load();
        Assert.True(second.Cache.Hit);
        Assert.Equal(first.Cache.Path, second.Cache.Path);
        AssertSame(uncached, second);
        Assert.Equal(3, second.Report.Read.Records);
        Assert.Equal(DataLayout.Alpaca, second.Report.Read.Layout);
        Assert.Equal(DataFileFormat.Jsonl, second.Report.Read.FileFormat);
        Assert.Single(Directory.GetFiles(s.Cache));
    }

    [Fact]
    public void Changed_data_of_the_same_size_is_tokenized_again()
    {
        var s = new Setup();
        var before = s.Load();
        var time = File.GetLastWriteTimeUtc(s.Data);
        File.WriteAllText(s.Data, Lines.Replace("Blue.", "Pink.") + "\n");
        File.SetLastWriteTimeUtc(s.Data, time);
        var after = s.Load();
        Assert.False(after.Cache.Hit);
        Assert.NotEqual(before.Cache.Path, after.Cache.Path);
        Assert.NotEqual(before.Examples[2].Tokens, after.Examples[2].Tokens);
        Assert.True(s.Load().Cache.Hit);
    }

    [Fact]
    public void Changed_tokenizer_files_are_a_new_key()
    {
        var s = new Setup();
        var before = s.Load();
        var config = Path.Combine(s.Model, "tokenizer_config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"model_max_length\": 512", "\"model_max_length\": 513"));
        var after = s.Load();
        Assert.False(after.Cache.Hit);
        Assert.NotEqual(before.Cache.Path, after.Cache.Path);
        File.WriteAllText(Path.Combine(s.Model, "special_tokens_map.json"), """{"eos_token": "</s>"}""");
        Assert.False(s.Load().Cache.Hit);
    }

    [Fact]
    public void Template_and_options_are_part_of_the_key()
    {
        var s = new Setup();
        var plain = s.Load();
        Assert.True(s.Load().Cache.Hit);
        var variants = new (string What, Func<TokenizedDataset> Load)[]
        {
            ("template", () => s.Load(s.Tokenizer(template: "llama-2"))),
            ("max length", () => s.Load(s.Tokenizer(new TokenizationOptions { MaxLength = 12 }))),
            ("over length", () => s.Load(s.Tokenizer(new TokenizationOptions { MaxLength = 12, OverLength = OverLengthPolicy.Drop }))),
            ("last turn only", () => s.Load(s.Tokenizer(new TokenizationOptions { LastTurnOnly = true }))),
            ("train on prompt", () => s.Load(s.Tokenizer(new TokenizationOptions { TrainOnPrompt = true }))),
            ("skip invalid", () => s.Load(read: new DatasetOptions { SkipInvalid = true })),
            ("layout", () => s.Load(read: new DatasetOptions { Layout = DataLayout.Alpaca })),
            ("columns", () => s.Load(read: new DatasetOptions { Columns = ColumnMapping.Parse("query=input") })),
        };
        var paths = new HashSet<string> { plain.Cache.Path! };
        foreach (var (what, load) in variants)
        {
            var first = load();
            Assert.False(first.Cache.Hit, $"{what}: the first load must build");
            Assert.True(paths.Add(first.Cache.Path!), $"{what}: must have its own cache file");
            Assert.True(load().Cache.Hit, $"{what}: the second load must hit");
        }
        Assert.NotEqual(plain.Examples[0].Tokens, s.Load(s.Tokenizer(template: "llama-2")).Examples[0].Tokens);
        Assert.Equal(3, s.Load(s.Tokenizer(new TokenizationOptions { TrainOnPrompt = true })).Examples.Count);
    }

    [Fact]
    public void Special_token_text_of_the_template_is_part_of_the_key()
    {
        var s = new Setup();
        var tokenizer = s.Tokenizer();
        var withEos = s.Load(new ExampleTokenizer(tokenizer.Tokenizer, ChatTemplate.ByName("plain", new SpecialTokenText("<s>", "</s>")), tokenizer.Options));
        var withoutEos = s.Load(new ExampleTokenizer(tokenizer.Tokenizer, ChatTemplate.ByName("plain", new SpecialTokenText("<s>", null)), tokenizer.Options));
        Assert.False(withoutEos.Cache.Hit);
        Assert.NotEqual(withEos.Cache.Path, withoutEos.Cache.Path);
        Assert.Equal(withEos.Examples[0].Length - 1, withoutEos.Examples[0].Length);
    }

    public static TheoryData<string> Damage() => ["flip a byte", "truncate", "empty", "append", "wrong key"];

    [Theory]
    [MemberData(nameof(Damage))]
    public void A_damaged_cache_file_is_rebuilt_with_a_note(string damage)
    {
        var s = new Setup();
        var good = s.Load();
        var path = good.Cache.Path!;
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip a byte": bytes[TokenizedCacheFile.HeaderSize + 20] ^= 0x40; break;
            case "truncate": bytes = bytes[..^40]; break;
            case "empty": bytes = []; break;
            case "append": bytes = [.. bytes, 0]; break;
            case "wrong key": bytes[16] ^= 1; break;
        }
        File.WriteAllBytes(path, bytes);

        var rebuilt = s.Load();
        Assert.False(rebuilt.Cache.Hit);
        Assert.Equal(path, rebuilt.Cache.Path);
        Assert.StartsWith($"tokenized cache {path} was not used: ", rebuilt.Cache.Note);
        AssertSame(good, rebuilt);
        var again = s.Load();
        Assert.True(again.Cache.Hit);
        AssertSame(good, again);
    }

    [Fact]
    public void Damage_notes_say_what_is_wrong()
    {
        var s = new Setup();
        var path = s.Load().Cache.Path!;
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^40]);
        Assert.Contains("truncated or damaged", s.Load().Cache.Note);
        bytes[TokenizedCacheFile.HeaderSize + 20] ^= 0x40;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum mismatch", s.Load().Cache.Note);
    }

    [Fact]
    public void Parallel_tokenization_keeps_file_order_and_equals_one_by_one()
    {
        var path = Paths.Asset("data", "alpaca-2k", "alpaca_data_2k.json");
        var read = new DatasetOptions { SkipInvalid = true };
        var tokenizer = TokenizerFolders.ExampleTokenizer("tok512", "plain");
        var dataset = TokenizedDataset.LoadOrBuild(path, read, tokenizer);
        var oneByOne = DatasetReader.Read(path, read).Select(c => tokenizer.Tokenize(c).Example!).ToList();
        Assert.Equal(1996, dataset.Examples.Count);
        Assert.Equal(oneByOne.Select(e => e.Id), dataset.Examples.Select(e => e.Id));
        for (int i = 0; i < oneByOne.Count; i++)
        {
            Assert.Equal(oneByOne[i].Tokens, dataset.Examples[i].Tokens);
            Assert.Equal(oneByOne[i].Trained, dataset.Examples[i].Trained);
        }
    }

    [Fact]
    public void The_first_bad_example_in_file_order_is_reported()
    {
        var dir = Paths.NewTempDir();
        var path = Path.Combine(dir, "system.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, 1200).Select(i =>
            i is 700 or 1100
                ? $$"""{"system": "Be brief.", "instruction": "Q{{i}}", "output": "A{{i}}"}"""
                : $$"""{"instruction": "Q{{i}}", "output": "A{{i}}"}"""));
        var tokenizer = TokenizerFolders.ExampleTokenizer("tok512", "mistral-legacy");
        var e = Assert.Throws<SiftException>(() => TokenizedDataset.LoadOrBuild(path, new DatasetOptions(), tokenizer, Path.Combine(dir, "cache")));
        Assert.StartsWith($"{path}:701: example", e.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "cache")) && Directory.EnumerateFiles(Path.Combine(dir, "cache")).Any());
    }
}

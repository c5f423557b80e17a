using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Tokenization;

namespace Sift.Tests.Tokenization;

/// <summary>
/// The shared real data sets through the whole path (read, validate, render, tokenize, mask) with
/// the real Llama 2 and stories260K tokenizers. Example counts come from Python's json (see
/// Data/RealDataTests); the Llama 2 ids of a rendered example from Debian's spm_encode.
/// </summary>
public class RealDataTokenizationTests
{
    private static string Alpaca => Paths.Asset("data", "alpaca-2k", "alpaca_data_2k.json");

    [Fact]
    public void Alpaca_2k_with_llama2_gives_1996_examples_and_the_llama2_chat_ids_of_spm_encode()
    {
        var tokenizer = TokenizerFolders.ExampleTokenizer("llama2", "llama-2", new TokenizationOptions { MaxLength = 4096 });
        var dataset = TokenizedDataset.LoadOrBuild(Alpaca, new DatasetOptions { SkipInvalid = true }, tokenizer);
        Assert.Equal((2000L, 4L, 4L), (dataset.Report.Read.Records, dataset.Report.Read.Invalid, dataset.Report.Read.EmptyResponses));
        Assert.Equal((1996L, 0L, 0L, 0L), (dataset.Report.Kept, dataset.Report.Truncated, dataset.Report.DroppedTooLong, dataset.Report.DroppedNothingTrained));
        Assert.Equal(1996, dataset.Examples.Count);

        // Record 2 rendered by the llama-2 template is "<s>[INST] What are the three primary colors? [/INST]
        // The three primary colors are red, blue, and yellow. </s>". spm_encode --output_format id of the
        // text between <s> and </s> gives the ids between 1 and 2 below ("▁[ INST ] ▁What ... ▁yellow . ▁").
        var example = dataset.Examples[1];
        int[] expected =
        [
            1, 518, 25580, 29962, 1724, 526, 278, 2211, 7601, 11955, 29973, 518, 29914, 25580, 29962,
            450, 2211, 7601, 11955, 526, 2654, 29892, 7254, 29892, 322, 13328, 29889, 29871, 2,
        ];
        Assert.Equal(expected, example.Tokens);
        // Trained: "▁The" (position 15) through "</s>".
        Assert.Equal(Enumerable.Range(0, expected.Length).Select(p => p >= 15), example.Trained);
        Assert.Equal("The three primary colors are red, blue, and yellow. </s>", tokenizer.Tokenizer.Decode(example.Tokens[15..]));
    }

    [Fact]
    public void Alpaca_2k_truncation_counts_match_the_full_lengths()
    {
        var read = new DatasetOptions { SkipInvalid = true };
        var full = TokenizedDataset.LoadOrBuild(Alpaca, read, TokenizerFolders.ExampleTokenizer("tok512", "plain", new TokenizationOptions { MaxLength = 4096 }));
        Assert.Equal(1996, full.Examples.Count);
        Assert.Equal(0, full.Report.Truncated);
        var cut = TokenizedDataset.LoadOrBuild(Alpaca, read, TokenizerFolders.ExampleTokenizer("tok512", "plain", new TokenizationOptions { MaxLength = 512 }));
        var drop = TokenizedDataset.LoadOrBuild(Alpaca, read,
            TokenizerFolders.ExampleTokenizer("tok512", "plain", new TokenizationOptions { MaxLength = 512, OverLength = OverLengthPolicy.Drop }));
        long over = full.Examples.Count(e => e.Length > 512);
        Assert.Equal(TruncatedAt512, over);
        Assert.Equal((1996L, over), (cut.Report.Kept, cut.Report.Truncated));
        Assert.Equal((1996L - over, over), (drop.Report.Kept, drop.Report.DroppedTooLong));
        Assert.All(cut.Examples, e => Assert.True(e.Length <= 512));
    }

    private const long TruncatedAt512 = 115;

    [Fact]
    public void Seed_tasks_give_175_examples_and_one_prompt_longer_than_1024_tok512_tokens()
    {
        var path = Paths.Asset("data", "alpaca-seed-tasks", "seed_tasks.jsonl");
        var all = TokenizedDataset.LoadOrBuild(path, new DatasetOptions(), TokenizerFolders.ExampleTokenizer("tok512", "plain", new TokenizationOptions { MaxLength = 4096 }));
        Assert.Equal(DataLayout.SeedTasks, all.Report.Read.Layout);
        Assert.Equal((175L, 175L, 0L), (all.Report.Read.Records, all.Report.Kept, all.Report.Truncated));
        Assert.Equal(Enumerable.Range(0, 175).Select(i => $"seed_task_{i}#0"), all.Examples.Select(e => e.Id));

        // Five examples are longer than 1024 tokens: four are truncated, one loses its whole answer and is dropped.
        var cut = TokenizedDataset.LoadOrBuild(path, new DatasetOptions(), TokenizerFolders.ExampleTokenizer("tok512", "plain"));
        var longPrompt = all.Examples.Single(e => Array.IndexOf(e.Trained, true) >= 1024);
        Assert.Equal(5, all.Examples.Count(e => e.Length > 1024));
        Assert.Equal((174L, 4L, 1L), (cut.Report.Kept, cut.Report.Truncated, cut.Report.DroppedNothingTrained));
        Assert.DoesNotContain(longPrompt.Id, cut.Examples.Select(e => e.Id));
    }

    [Fact]
    public void Gsm8k_train_with_question_and_answer_mapped_gives_7473_examples()
    {
        var read = new DatasetOptions { Columns = ColumnMapping.Parse("prompt=question,response=answer") };
        var tokenizer = TokenizerFolders.ExampleTokenizer("llama2", "llama-2");
        var dataset = TokenizedDataset.LoadOrBuild(Paths.Asset("data", "gsm8k", "train.jsonl"), read, tokenizer);
        Assert.Equal(DataLayout.PromptCompletion, dataset.Report.Read.Layout);
        Assert.Equal((7473L, 7473L, 0L), (dataset.Report.Read.Examples, dataset.Report.Kept, dataset.Report.Truncated));
        Assert.Equal("044b23813a3cced7", dataset.Examples[0].Id);
        // The first answer, as trained: everything after [/INST] through </s>, ending with "#### 72 </s>".
        var first = dataset.Examples[0];
        var answer = tokenizer.Tokenizer.Decode(first.Tokens[Array.IndexOf(first.Trained, true)..]);
        Assert.StartsWith("Natalia sold 48/2 = <<48/2=24>>24 clips in May.", answer);
        Assert.EndsWith("\n#### 72 </s>", answer);
    }
}

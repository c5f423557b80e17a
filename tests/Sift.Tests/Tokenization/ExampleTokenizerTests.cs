using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Tests.Tokenization;

/// <summary>
/// The loss mask of <see cref="ExampleTokenizer"/>, checked by decoding: every run of trained tokens
/// must decode to exactly one assistant message as rendered plus its end-of-turn marker.
/// <para>Two differences are allowed, and asserted to be exactly these:</para>
/// <list type="number">
/// <item>When the template puts a space before the answer (llama-2, mistral: "[/INST] {content}"), SentencePiece
/// ("▁Sure") and byte-level BPE ("ĠSure") fold that space into the answer's first token. That token
/// holds answer text, so it is trained (as transformers' assistant masks do) and the run's text starts with
/// the template's one space.</item>
/// <item>ModelTokenizer.Decode drops the "▁" of the first SentencePiece token it decodes (the dummy prefix,
/// as spm_decode does), so a SentencePiece run that starts with "▁" decodes without that leading space.</item>
/// <item>When the end-of-turn marker is not a token of the vocabulary (llama-3's "&lt;|eot_id|&gt;" with a Llama 2 or
/// GPT-2 vocabulary: a template/tokenizer mismatch no real model has), its last piece can merge with the next
/// header ("&gt;&lt;"); that token holds marker text, so it is trained and the run ends with those characters.</item>
/// </list>
/// </summary>
public class ExampleTokenizerTests
{
    private static readonly ExampleSource Here = new("test.jsonl", 1);

    private static Conversation Chat(string id, params (string Role, string Content)[] turns) =>
        new(id, turns.Select(t => new ChatMessage(t.Role, t.Content)).ToArray(), Here);

    private static readonly Conversation SingleTurn = Chat("single", ("user", "What is 2+2?"), ("assistant", "2+2 is 4."));

    private static readonly Conversation MultiTurn = Chat("multi",
        ("system", "Answer briefly."),
        ("user", "Name a prime."), ("assistant", "7 is prime."),
        ("user", "And an even one?"), ("assistant", "2 is the only even prime number."));

    private static readonly Conversation Unicode = Chat("unicode",
        ("user", "Grüße! Wie sagt man 世界 auf Deutsch? 🌍"),
        ("assistant", "„Welt“ — 世界 heißt Welt. 👍🏽\nLine two: 12345, ça va?"));

    private static readonly Conversation Spaces = Chat("spaces",
        ("user", "Indent this:"), ("assistant", " (see below)\n\tcode();"),
        ("user", "Digits?"), ("assistant", "42"));

    private static readonly Conversation[] All = [SingleTurn, MultiTurn, Unicode, Spaces];

    public static TheoryData<string, string> TokenizerAndTemplate()
    {
        var data = new TheoryData<string, string>();
        foreach (var tokenizer in TokenizerFolders.Names)
            foreach (var template in ChatTemplate.Names)
                data.Add(tokenizer, template);
        return data;
    }

    [Theory]
    [MemberData(nameof(TokenizerAndTemplate))]
    public void Every_trained_run_decodes_to_an_assistant_message_and_its_end_of_turn(string tokenizerName, string templateName)
    {
        var tokenizer = TokenizerFolders.ExampleTokenizer(tokenizerName, templateName);
        foreach (var conversation in All)
        {
            var usable = WithoutSystemFor(templateName, conversation);
            var rendered = tokenizer.Template.Render(usable.Messages, addGenerationPrompt: false);
            var (example, outcome) = tokenizer.Tokenize(usable);
            Assert.Equal(TokenizationOutcome.Kept, outcome);
            AssertRunsAreAssistantTurns(tokenizerName, tokenizer.Tokenizer, rendered, example!, rendered.AssistantSpans);
        }
    }

    [Theory]
    [InlineData("llama2", "llama-2")]
    [InlineData("gpt2", "chatml")]
    [InlineData("qwen-style-gpt2", "qwen2.5")]
    [InlineData("tok512", "plain")]
    public void Last_turn_only_trains_just_the_final_answer(string tokenizerName, string templateName)
    {
        var every = TokenizerFolders.ExampleTokenizer(tokenizerName, templateName);
        var last = TokenizerFolders.ExampleTokenizer(tokenizerName, templateName, new TokenizationOptions { LastTurnOnly = true });
        var rendered = every.Template.Render(MultiTurn.Messages, addGenerationPrompt: false);
        var all = every.Tokenize(MultiTurn).Example!;
        var final = last.Tokenize(MultiTurn).Example!;
        Assert.Equal(all.Tokens, final.Tokens);
        AssertRunsAreAssistantTurns(tokenizerName, last.Tokenizer, rendered, final, [rendered.AssistantSpans[^1]]);
        // The final run is the same in both; the first answer's run is trained only with every turn.
        var finalRun = Runs(final.Trained).Single();
        Assert.Equal(2, Runs(all.Trained).Count);
        Assert.Equal(finalRun, Runs(all.Trained)[1]);
        Assert.Equal(all.TrainedCount - Runs(all.Trained)[0].Length(), final.TrainedCount);
    }

    [Theory]
    [InlineData("llama2", "llama-2")]
    [InlineData("qwen-style-gpt2", "chatml")]
    public void Train_on_prompt_trains_every_token_but_the_first(string tokenizerName, string templateName)
    {
        var plain = TokenizerFolders.ExampleTokenizer(tokenizerName, templateName).Tokenize(MultiTurn).Example!;
        var example = TokenizerFolders.ExampleTokenizer(tokenizerName, templateName, new TokenizationOptions { TrainOnPrompt = true })
            .Tokenize(MultiTurn).Example!;
        Assert.Equal(plain.Tokens, example.Tokens);
        Assert.False(example.Trained[0]);
        Assert.All(example.Trained[1..], Assert.True);
        Assert.Equal(example.Length - 1, example.TrainedCount);
    }

    [Fact]
    public void Truncate_keeps_a_prefix_and_its_mask()
    {
        var full = TokenizerFolders.ExampleTokenizer("llama2", "llama-2").Tokenize(MultiTurn).Example!;
        int max = full.Length - 4;
        var (example, outcome) = TokenizerFolders.ExampleTokenizer("llama2", "llama-2", new TokenizationOptions { MaxLength = max }).Tokenize(MultiTurn);
        Assert.Equal(TokenizationOutcome.Truncated, outcome);
        Assert.Equal(full.Tokens[..max], example!.Tokens);
        Assert.Equal(full.Trained[..max], example.Trained);
        Assert.Equal(full.TrainedCount - 4, example.TrainedCount);
    }

    [Fact]
    public void Drop_leaves_out_examples_over_the_maximum_length()
    {
        var full = TokenizerFolders.ExampleTokenizer("gpt2", "chatml").Tokenize(SingleTurn).Example!;
        var atLimit = TokenizerFolders.ExampleTokenizer("gpt2", "chatml", new TokenizationOptions { MaxLength = full.Length, OverLength = OverLengthPolicy.Drop });
        Assert.Equal(TokenizationOutcome.Kept, atLimit.Tokenize(SingleTurn).Outcome);
        var overLimit = TokenizerFolders.ExampleTokenizer("gpt2", "chatml", new TokenizationOptions { MaxLength = full.Length - 1, OverLength = OverLengthPolicy.Drop });
        Assert.Equal((null, TokenizationOutcome.DroppedTooLong), overLimit.Tokenize(SingleTurn));
    }

    [Fact]
    public void An_example_whose_answer_is_truncated_away_is_dropped()
    {
        var full = TokenizerFolders.ExampleTokenizer("llama2", "llama-2").Tokenize(SingleTurn).Example!;
        int firstTrained = Array.IndexOf(full.Trained, true);
        // Keeping the token before the first trained one keeps nothing to learn: the prediction of
        // the first trained token needs that token itself in the input.
        var cut = TokenizerFolders.ExampleTokenizer("llama2", "llama-2", new TokenizationOptions { MaxLength = firstTrained });
        Assert.Equal((null, TokenizationOutcome.DroppedNothingTrained), cut.Tokenize(SingleTurn));
        var oneLeft = TokenizerFolders.ExampleTokenizer("llama2", "llama-2", new TokenizationOptions { MaxLength = firstTrained + 1 }).Tokenize(SingleTurn);
        Assert.Equal(TokenizationOutcome.Truncated, oneLeft.Outcome);
        Assert.Equal(1, oneLeft.Example!.TrainedCount);
    }

    [Fact]
    public void Dataset_report_counts_kept_truncated_and_dropped_examples()
    {
        var dir = Paths.NewTempDir();
        var path = Path.Combine(dir, "mixed.jsonl");
        var longAnswer = string.Join(" ", Enumerable.Repeat("word", 80));
        var longPrompt = string.Join(" ", Enumerable.Repeat("prompt", 80));
        File.WriteAllLines(path,
        [
            """{"prompt": "Say hi.", "completion": "Hi."}""",
            $$"""{"prompt": "Say many words.", "completion": "{{longAnswer}}"}""",
            $$"""{"prompt": "{{longPrompt}}", "completion": "Ok."}""",
        ]);
        var truncate = TokenizedDataset.LoadOrBuild(path, new DatasetOptions(), TokenizerFolders.ExampleTokenizer("llama2", "llama-2", new TokenizationOptions { MaxLength = 40 }));
        Assert.Equal((3L, 2L, 1L, 0L, 1L), (truncate.Report.Read.Examples, truncate.Report.Kept, truncate.Report.Truncated, truncate.Report.DroppedTooLong, truncate.Report.DroppedNothingTrained));
        Assert.Equal(2, truncate.Examples.Count);
        Assert.Equal(40, truncate.Examples[1].Length);

        var drop = TokenizedDataset.LoadOrBuild(path, new DatasetOptions(),
            TokenizerFolders.ExampleTokenizer("llama2", "llama-2", new TokenizationOptions { MaxLength = 40, OverLength = OverLengthPolicy.Drop }));
        Assert.Equal((1L, 0L, 2L, 0L), (drop.Report.Kept, drop.Report.Truncated, drop.Report.DroppedTooLong, drop.Report.DroppedNothingTrained));
        Assert.Equal(truncate.Examples[0].Id, drop.Examples.Single().Id);
    }

    [Fact]
    public void A_conversation_the_template_refuses_names_its_source()
    {
        var tokenizer = TokenizerFolders.ExampleTokenizer("llama2", "mistral-legacy");
        var e = Assert.Throws<SiftException>(() => tokenizer.Tokenize(MultiTurn));
        Assert.StartsWith("test.jsonl:1: example 'multi': Chat template 'mistral-legacy': message 0 is a system message", e.Message);
    }

    /// <summary>mistral-legacy refuses system messages (as its official template does); the others take them.</summary>
    private static Conversation WithoutSystemFor(string templateName, Conversation c) =>
        templateName == "mistral-legacy" && c.Messages[0].Role == ChatMessage.System ? c with { Messages = c.Messages.Skip(1).ToArray() } : c;

    private static void AssertRunsAreAssistantTurns(string tokenizerName, ModelTokenizer tokenizer, RenderedChat rendered,
        TokenizedExample example, IReadOnlyList<AssistantSpan> trainedTurns)
    {
        var encoded = tokenizer.EncodeWithOffsets(rendered.Text, addBos: false);
        Assert.Equal(encoded.Ids, example.Tokens);
        var runs = Runs(example.Trained);
        Assert.Equal(trainedTurns.Count, runs.Count);
        for (int k = 0; k < runs.Count; k++)
        {
            var turn = trainedTurns[k];
            var (first, end) = (runs[k].Start.Value, runs[k].End.Value);
            var expected = rendered.Text[turn.ContentStart..turn.TurnEnd];
            var covered = rendered.Text[encoded.Spans[first].Start..encoded.Spans[end - 1].End];
            bool foldedSpace = encoded.Spans[first].Start == turn.ContentStart - 1 && rendered.Text[turn.ContentStart - 1] == ' ';
            if (foldedSpace) expected = " " + expected;
            bool markerMerged = tokenizer.TokenId(rendered.TurnEndOf(turn)) == null
                                && encoded.Spans[end - 1].Start < turn.TurnEnd && encoded.Spans[end - 1].End > turn.TurnEnd;
            if (markerMerged) expected = rendered.Text[(foldedSpace ? turn.ContentStart - 1 : turn.ContentStart)..encoded.Spans[end - 1].End];
            Assert.True(covered == expected, $"{tokenizerName}/{rendered.Text}: run {k} covers \"{covered}\", expected \"{expected}\"");
            Assert.StartsWith((foldedSpace ? " " : "") + rendered.ContentOf(turn) + rendered.TurnEndOf(turn), covered);

            var decoded = tokenizer.Decode(example.Tokens[first..end]);
            if (TokenizerFolders.IsSentencePiece(tokenizerName) && covered.StartsWith(' ') && !decoded.StartsWith(' ')) decoded = " " + decoded;
            // tok512 was trained with remove_extra_whitespaces: it drops spaces around special tokens
            // and in runs, so for it only the other characters can be compared.
            if (tokenizerName == "tok512") (decoded, covered) = (decoded.Replace(" ", ""), covered.Replace(" ", ""));
            Assert.True(decoded == covered, $"{tokenizerName}: run {k} decodes to \"{decoded}\", expected \"{covered}\"");
        }
    }

    /// <summary>The maximal runs of trained positions.</summary>
    private static List<Range> Runs(bool[] trained)
    {
        var runs = new List<Range>();
        for (int i = 0; i < trained.Length; i++)
        {
            if (!trained[i]) continue;
            int start = i;
            while (i < trained.Length && trained[i]) i++;
            runs.Add(start..i);
        }
        return runs;
    }
}

internal static class RangeLength
{
    public static int Length(this Range r) => r.End.Value - r.Start.Value;
}

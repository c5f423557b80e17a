using Sift.Generation;
using Sift.Models;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Tests.Generation;

public class ChatResponderTests
{
    private static readonly string TokenizerDir = Paths.Asset("models", "stories260K-hf");

    private static ChatPrompt Prompt(string id, string text) => new(id, [new ChatMessage(ChatMessage.User, text)]);

    [Fact]
    public void PromptsThatFillTheContextGetNoAnswerAndStopStringsEndAnswers()
    {
        using var model = new CausalLM(ModelConfig.Create(vocabSize: 512, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, maxPositionEmbeddings: 40));
        model.InitializeWeights(2, std: 0.1);
        var tokenizer = ModelTokenizer.Load(TokenizerDir);
        var template = ChatTemplate.ForModel(TokenizerDir);
        ChatPrompt[] prompts = [Prompt("short", "Hi."), Prompt("long", string.Join(" ", Enumerable.Repeat("Tell me a long story about a dog.", 6))), Prompt("other", "Why?")];

        var free = new ChatResponder(model, tokenizer, template, []).Respond(prompts, 8, batchSize: 2);
        Assert.Equal(["short", "long", "other"], free.Select(r => r.Id));
        Assert.Null(free[1].Text);
        Assert.True(free[1].PromptTokens >= 40);
        Assert.Equal(8, free[0].GeneratedTokens);
        Assert.NotEmpty(free[0].Text!);

        // A stop string taken from the middle of the free answer ends it there.
        var stop = free[0].Text!.Substring(free[0].Text!.Length / 2, 1);
        var stopped = new ChatResponder(model, tokenizer, template, [stop]).Respond(prompts, 8, batchSize: 2);
        Assert.Equal(free[0].Text![..free[0].Text!.IndexOf(stop, StringComparison.Ordinal)], stopped[0].Text);
    }
}

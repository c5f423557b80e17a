using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Tests.Templates;

/// <summary>The messages users see when a conversation does not fit a template.</summary>
public class RenderErrorTests
{
    private static readonly SpecialTokenText SentencePieceTokens = new("<s>", "</s>");

    [Fact]
    public void Unknown_template_name_lists_the_known_names()
    {
        var e = Assert.Throws<SiftException>(() => ChatTemplate.ByName("zephyr", SentencePieceTokens));
        Assert.Contains("'zephyr'", e.Message);
        Assert.Contains("llama-2, llama-3, chatml, qwen2, qwen2.5, mistral, mistral-legacy, plain", e.Message);
    }

    [Theory]
    [InlineData("llama-2")]
    [InlineData("llama-3")]
    [InlineData("chatml")]
    [InlineData("mistral")]
    [InlineData("plain")]
    public void Unknown_role_is_named_with_its_index(string family)
    {
        ChatMessage[] messages = [new("user", "Hi"), new("tool", "42")];

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ByName(family, SentencePieceTokens).Render(messages, false));
        Assert.Contains("'tool'", e.Message);
        Assert.Contains("message 1", e.Message);
        Assert.Contains(family, e.Message);
    }

    [Fact]
    public void Empty_conversation_is_refused()
    {
        var e = Assert.Throws<SiftException>(() => ChatTemplate.ByName("chatml", SentencePieceTokens).Render([], true));
        Assert.Contains("no messages", e.Message);
    }

    [Theory]
    [InlineData("llama-2")]
    [InlineData("mistral")]
    [InlineData("mistral-legacy")]
    public void Out_of_order_message_is_named_with_what_the_template_expects(string family)
    {
        ChatMessage[] messages = [new("user", "One"), new("assistant", "Two"), new("assistant", "Three")];

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ByName(family, SentencePieceTokens).Render(messages, false));
        Assert.Contains("message 2", e.Message);
        Assert.Contains("'assistant'", e.Message);
        Assert.Contains("expected 'user'", e.Message);
        Assert.Contains("alternating", e.Message);
    }

    [Theory]
    [InlineData("llama-2")]
    [InlineData("mistral")]
    public void A_system_message_after_the_first_is_refused(string family)
    {
        // Llama-2's official template silently drops a system message at an odd position; Sift
        // refuses it instead, since dropping data without a word would be worse.
        ChatMessage[] messages = [new("user", "One"), new("system", "Be brief."), new("user", "Two")];

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ByName(family, SentencePieceTokens).Render(messages, false));
        Assert.Contains("message 1", e.Message);
        Assert.Contains("system message is allowed only as the first message", e.Message);
    }

    [Fact]
    public void Legacy_mistral_refuses_system_messages_and_points_to_the_current_template()
    {
        ChatMessage[] messages = [new("system", "Be brief."), new("user", "Hi")];

        var e = Assert.Throws<SiftException>(() => ChatTemplate.ByName("mistral-legacy", SentencePieceTokens).Render(messages, false));
        Assert.Contains("message 0", e.Message);
        Assert.Contains("'mistral'", e.Message);
    }
}

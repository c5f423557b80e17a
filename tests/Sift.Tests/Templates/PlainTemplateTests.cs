using Sift.Text.Templates;

namespace Sift.Tests.Templates;

/// <summary>The documented plain (Alpaca-style) format, written out by hand.</summary>
public class PlainTemplateTests
{
    [Fact]
    public void Renders_the_documented_sections_and_generation_prompt()
    {
        var template = ChatTemplate.ByName("plain", new SpecialTokenText("<s>", "</s>"));

        var rendered = template.Render(
            [new("system", "Be kind."), new("user", "Add 2 and 3."), new("assistant", "5"), new("user", "Times 4?")],
            addGenerationPrompt: true);

        Assert.Equal(
            "<s>Be kind.\n\n### Instruction:\nAdd 2 and 3.\n\n### Response:\n5</s>\n\n### Instruction:\nTimes 4?\n\n### Response:\n",
            rendered.Text);
        var span = Assert.Single(rendered.AssistantSpans);
        Assert.Equal(2, span.MessageIndex);
        Assert.Equal("5", rendered.ContentOf(span));
        Assert.Equal("</s>", rendered.TurnEndOf(span));
    }

    [Fact]
    public void Without_eos_the_turn_end_is_empty()
    {
        var template = ChatTemplate.ByName("plain", SpecialTokenText.None);

        var rendered = template.Render([new("user", "Q"), new("assistant", "A")], addGenerationPrompt: false);

        Assert.Equal("### Instruction:\nQ\n\n### Response:\nA\n\n", rendered.Text);
        var span = Assert.Single(rendered.AssistantSpans);
        Assert.Equal(span.ContentEnd, span.TurnEnd);
    }
}

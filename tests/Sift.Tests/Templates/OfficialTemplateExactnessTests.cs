using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Tests.Templates;

/// <summary>
/// Render(...) must equal, character for character, what Jinja renders from each family's official
/// chat_template (expected.json), and each assistant span must cover exactly the message content as
/// rendered and then the family's end-of-turn marker.
/// </summary>
public class OfficialTemplateExactnessTests
{
    public static TheoryData<string> CaseKeys()
    {
        var data = new TheoryData<string>();
        foreach (var c in TemplateFixtures.Cases) data.Add(c.ToString());
        return data;
    }

    private static TemplateFixtures.ExpectedCase Find(string key) => TemplateFixtures.Cases.Single(c => c.ToString() == key);

    [Theory]
    [MemberData(nameof(CaseKeys))]
    public void Render_matches_official_jinja_output(string key)
    {
        var expected = Find(key);
        var template = ChatTemplate.ByName(expected.Family, new SpecialTokenText(expected.BosToken, expected.EosToken));
        var messages = TemplateFixtures.Conversations[expected.Conversation];

        if (expected.Error != null)
        {
            // The official template raises (e.g. roles out of order); Sift refuses the same conversation.
            Assert.Throws<SiftException>(() => template.Render(messages, expected.AddGenerationPrompt));
            return;
        }

        var rendered = template.Render(messages, expected.AddGenerationPrompt);
        Assert.Equal(expected.Text, rendered.Text);
    }

    [Theory]
    [MemberData(nameof(CaseKeys))]
    public void Assistant_spans_cover_content_then_end_of_turn(string key)
    {
        var expected = Find(key);
        if (expected.Error != null) return;
        var template = ChatTemplate.ByName(expected.Family, new SpecialTokenText(expected.BosToken, expected.EosToken));
        var messages = TemplateFixtures.Conversations[expected.Conversation];
        var rendered = template.Render(messages, expected.AddGenerationPrompt);

        var assistantIndexes = Enumerable.Range(0, messages.Count).Where(i => messages[i].Role == ChatMessage.Assistant).ToArray();
        Assert.Equal(assistantIndexes, rendered.AssistantSpans.Select(s => s.MessageIndex).ToArray());
        Assert.Equal(expected.EndOfTurn, template.EndOfTurn);

        var previousEnd = 0;
        for (var k = 0; k < rendered.AssistantSpans.Count; k++)
        {
            var span = rendered.AssistantSpans[k];
            Assert.True(previousEnd <= span.ContentStart && span.ContentStart <= span.ContentEnd && span.ContentEnd <= span.TurnEnd);
            // Llama-2 and Llama-3 strip content (content.strip() / | trim), so the span holds the
            // stripped text, which render_fixtures.py computed with Python's str.strip.
            Assert.Equal(expected.AssistantContents[k], rendered.ContentOf(span));
            Assert.Equal(expected.EndOfTurn, rendered.TurnEndOf(span));
            previousEnd = span.TurnEnd;
        }
    }

    [Fact]
    public void Fixtures_cover_every_family_and_both_generation_prompt_settings()
    {
        var families = TemplateFixtures.Cases.Select(c => c.Family).Distinct().Order().ToArray();
        Assert.Equal(ChatTemplate.Names.Order().ToArray(), families);
        foreach (var family in families)
        {
            Assert.Contains(TemplateFixtures.Cases, c => c.Family == family && c.AddGenerationPrompt && c.Text != null);
            Assert.Contains(TemplateFixtures.Cases, c => c.Family == family && !c.AddGenerationPrompt && c.Text != null);
        }
    }
}

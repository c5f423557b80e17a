using System.Text.Json;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Tests.Templates;

/// <summary>
/// tests/data/templates: the official Jinja templates, the conversations, and expected.json, the
/// strings a real Jinja engine rendered from them (render_fixtures.py).
/// </summary>
public static class TemplateFixtures
{
    public static string Folder => Path.Combine(Paths.TestData, "templates");

    public sealed record ExpectedCase(
        string Family, string Conversation, bool AddGenerationPrompt, string? BosToken, string? EosToken,
        string EndOfTurn, IReadOnlyList<string> AssistantContents, string? Text, string? Error)
    {
        public override string ToString() => $"{Family}/{Conversation}/gen={AddGenerationPrompt}";
    }

    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyList<ChatMessage>>> LazyConversations = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "conversations.json")));
        return doc.RootElement.EnumerateObject().ToDictionary(
            p => p.Name,
            p => (IReadOnlyList<ChatMessage>)p.Value.EnumerateArray()
                .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))
                .ToArray());
    });

    private static readonly Lazy<IReadOnlyList<ExpectedCase>> LazyCases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "expected.json")));
        return doc.RootElement.EnumerateArray().Select(c => new ExpectedCase(
            c.GetProperty("family").GetString()!,
            c.GetProperty("conversation").GetString()!,
            c.GetProperty("add_generation_prompt").GetBoolean(),
            c.GetProperty("bos_token").GetString(),
            c.GetProperty("eos_token").GetString(),
            c.GetProperty("end_of_turn").GetString()!,
            c.GetProperty("assistant_contents").EnumerateArray().Select(a => a.GetString()!).ToArray(),
            c.TryGetProperty("text", out var t) ? t.GetString() : null,
            c.TryGetProperty("error", out var e) ? e.GetString() : null)).ToArray();
    });

    public static IReadOnlyDictionary<string, IReadOnlyList<ChatMessage>> Conversations => LazyConversations.Value;

    public static IReadOnlyList<ExpectedCase> Cases => LazyCases.Value;

    public static string TemplateText(string family) =>
        File.ReadAllText(Path.Combine(Folder, family + ".jinja"));

    public static ExpectedCase Case(string family, string conversation, bool addGenerationPrompt) =>
        Cases.Single(c => c.Family == family && c.Conversation == conversation && c.AddGenerationPrompt == addGenerationPrompt);
}

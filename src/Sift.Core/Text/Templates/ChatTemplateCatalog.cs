namespace Sift.Text.Templates;

/// <summary>The chat templates Sift knows, by name.</summary>
internal static class ChatTemplateCatalog
{
    private static readonly Dictionary<string, Func<SpecialTokenText, ChatTemplate>> Factories = new(StringComparer.Ordinal)
    {
        ["llama-2"] = t => new Llama2ChatTemplate(t),
        ["llama-3"] = t => new Llama3ChatTemplate(t),
        ["chatml"] = _ => new ChatMlTemplate("chatml", null),
        ["qwen2"] = _ => new ChatMlTemplate("qwen2", ChatMlTemplate.Qwen2DefaultSystemPrompt),
        ["qwen2.5"] = _ => new ChatMlTemplate("qwen2.5", ChatMlTemplate.Qwen25DefaultSystemPrompt),
        ["mistral"] = t => new MistralChatTemplate(t),
        ["mistral-legacy"] = t => new MistralLegacyChatTemplate(t),
        ["plain"] = t => new PlainChatTemplate(t),
    };

    public static IReadOnlyList<string> Names { get; } = Factories.Keys.ToArray();

    public static ChatTemplate Create(string name, SpecialTokenText tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var key = name?.Trim().ToLowerInvariant() ?? "";
        if (!Factories.TryGetValue(key, out var create))
            throw new SiftException($"Unknown chat template '{name}'; known templates: {string.Join(", ", Names)}.");
        return create(tokens);
    }
}

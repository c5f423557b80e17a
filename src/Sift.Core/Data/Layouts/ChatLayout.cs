using System.Text.Json;
using Sift.Text;

namespace Sift.Data.Layouts;

/// <summary>
/// Multi-turn records: OpenAI messages ({role: system|user|assistant, content}) and ShareGPT
/// ({from: human|gpt|system, value}; "user" and "assistant" are accepted there too). An optional
/// top-level system field becomes the first message when the list does not start with one.
/// </summary>
internal static class ChatLayout
{
    public static ParsedExample Parse(JsonElement record, LayoutFields f)
    {
        var id = RecordFields.OptionalId(record, f.Id);
        var system = RecordFields.OptionalString(record, f.System, f.System);
        var list = RecordFields.RequiredArray(record, f.Messages, f.Messages);
        int count = list.GetArrayLength();
        int offset = string.IsNullOrEmpty(system) ? 0 : 1;
        var messages = new ChatMessage[count + offset];
        if (offset == 1) messages[0] = new ChatMessage(ChatMessage.System, system!);
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var label = $"{f.Messages}[{i}]";
            RecordFields.RequireObject(item, label);
            var roleLabel = $"{label}.{f.Role}";
            var role = NormalizeRole(RecordFields.RequiredString(item, f.Role, roleLabel), roleLabel, f.Layout);
            if (role == ChatMessage.System && offset == 1)
                throw new InvalidRecordException(roleLabel, $"has a system message while the record's '{f.System}' field also gives one; keep only one");
            var content = RecordFields.RequiredString(item, f.Content, $"{label}.{f.Content}");
            messages[offset + i] = new ChatMessage(role, content);
            i++;
        }
        ConversationRules.Check(messages, m => m < 0 ? f.Messages : m < offset ? f.System : $"{f.Messages}[{m - offset}]");
        return new ParsedExample(id, messages);
    }

    private static string NormalizeRole(string role, string label, DataLayout layout)
    {
        switch (role)
        {
            case "system": return ChatMessage.System;
            case "user": return ChatMessage.User;
            case "assistant": return ChatMessage.Assistant;
        }
        if (layout == DataLayout.ShareGpt)
        {
            if (role == "human") return ChatMessage.User;
            if (role == "gpt") return ChatMessage.Assistant;
            throw new InvalidRecordException(label, $"unknown role '{role}' in '{label}'; expected human, gpt or system");
        }
        throw new InvalidRecordException(label, $"unknown role '{role}' in '{label}'; expected system, user or assistant");
    }
}

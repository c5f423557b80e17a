using System.Text.Json;
using Sift.Text;

namespace Sift.Data.Layouts;

/// <summary>
/// Alpaca and prompt/completion records: [system] + user + assistant.
/// Alpaca's user turn is "{instruction}\n\n{input}" when input is non-empty, else the instruction
/// alone (and the input alone when the instruction is empty); nothing is trimmed.
/// </summary>
internal static class SingleTurnLayout
{
    public static ParsedExample Parse(JsonElement record, LayoutFields f)
    {
        var id = RecordFields.OptionalId(record, f.Id);
        var system = RecordFields.OptionalString(record, f.System, f.System);
        var prompt = RecordFields.RequiredString(record, f.Prompt, f.Prompt);
        var query = f.Layout == DataLayout.Alpaca ? RecordFields.OptionalString(record, f.Query, f.Query) : null;
        var response = RecordFields.RequiredString(record, f.Response, f.Response);
        return new ParsedExample(id, Build(system, prompt, query, response, f));
    }

    /// <summary>Builds and checks the messages; shared with seed tasks, whose instances are Alpaca examples.</summary>
    public static ChatMessage[] Build(string? system, string prompt, string? query, string response, LayoutFields f,
        string? responseLabel = null)
    {
        var user = JoinInstruction(prompt, query);
        var messages = string.IsNullOrEmpty(system)
            ? new[] { new ChatMessage(ChatMessage.User, user), new ChatMessage(ChatMessage.Assistant, response) }
            : [new ChatMessage(ChatMessage.System, system), new ChatMessage(ChatMessage.User, user), new ChatMessage(ChatMessage.Assistant, response)];
        if (string.IsNullOrWhiteSpace(response))
            throw new InvalidRecordException(responseLabel ?? f.Response, $"field '{responseLabel ?? f.Response}' (the assistant turn) is empty", emptyResponse: true);
        return messages;
    }

    public static string JoinInstruction(string instruction, string? input)
    {
        if (string.IsNullOrEmpty(input)) return instruction;
        if (instruction.Length == 0) return input;
        return string.Concat(instruction, "\n\n", input);
    }
}

using Sift.Text;

namespace Sift.Data;

/// <summary>
/// The shape every training conversation must have after normalization:
/// <list type="number">
/// <item>at most one system message, and only as the first message;</item>
/// <item>then user and assistant messages alternating, starting with user;</item>
/// <item>ending with an assistant message (so there is something to learn);</item>
/// <item>no assistant message is empty or only whitespace.</item>
/// </list>
/// Content is otherwise kept exactly as written (no trimming).
/// </summary>
internal static class ConversationRules
{
    /// <param name="fieldOf">names the source field of message i, for the error message</param>
    public static void Check(IReadOnlyList<ChatMessage> messages, Func<int, string> fieldOf)
    {
        int first = messages.Count > 0 && messages[0].Role == ChatMessage.System ? 1 : 0;
        if (messages.Count - first < 2)
            throw new InvalidRecordException(fieldOf(-1),
                $"needs at least one user and one assistant message after the optional system message, found {messages.Count - first}");
        for (int i = first; i < messages.Count; i++)
        {
            var expected = (i - first) % 2 == 0 ? ChatMessage.User : ChatMessage.Assistant;
            var role = messages[i].Role;
            if (role != expected)
            {
                var why = role == ChatMessage.System
                    ? "a system message may only come first"
                    : "after an optional leading system message, turns alternate user, assistant";
                throw new InvalidRecordException(fieldOf(i), $"message {i} has role '{role}' where '{expected}' is expected ({why})");
            }
            if (role == ChatMessage.Assistant && string.IsNullOrWhiteSpace(messages[i].Content))
                throw new InvalidRecordException(fieldOf(i), $"message {i} (assistant) is empty", emptyResponse: true);
        }
        if (messages[^1].Role != ChatMessage.Assistant)
            throw new InvalidRecordException(fieldOf(messages.Count - 1),
                $"the last message has role '{messages[^1].Role}'; a training conversation must end with an assistant message");
    }
}

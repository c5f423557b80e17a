namespace Sift.Text.Templates;

/// <summary>Checks of message order shared by the templates that require user/assistant alternation.</summary>
internal static class TurnOrder
{
    /// <summary>
    /// Messages from <paramref name="first"/> on must go user, assistant, user, ... ; a system
    /// message is allowed only at index 0 (the caller skips it by passing first = 1).
    /// </summary>
    public static void RequireAlternation(IReadOnlyList<ChatMessage> messages, int first, string templateName)
    {
        for (var i = first; i < messages.Count; i++)
        {
            var expected = (i - first) % 2 == 0 ? ChatMessage.User : ChatMessage.Assistant;
            if (messages[i].Role == expected) continue;
            var where = messages[i].Role == ChatMessage.System
                ? "a system message is allowed only as the first message"
                : $"expected '{expected}'";
            throw new SiftException(
                $"Chat template '{templateName}': message {i} has role '{messages[i].Role}' but {where}; " +
                $"this template needs {(first == 1 ? "an optional system message, then " : "")}" +
                "user and assistant messages alternating, starting with user. Fix the order of the conversation's messages or choose another template.");
        }
    }
}

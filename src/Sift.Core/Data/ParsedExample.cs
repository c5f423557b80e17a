using Sift.Text;

namespace Sift.Data;

/// <summary>A record's example before ids are assigned: the given id, if any, and validated messages.</summary>
internal readonly record struct ParsedExample(string? GivenId, ChatMessage[] Messages);

using System.Text.Json.Serialization;
using Parquet.Serialization;
using Sift.Data;

namespace Sift.Tests.Data;

/// <summary>Fixtures the data tests write on the fly, and a reader shortcut.</summary>
internal static class DataTestFiles
{
    public static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    public static string WriteParquet<T>(string dir, string name, IEnumerable<T> rows)
    {
        var path = Path.Combine(dir, name);
        using var stream = File.Create(path);
        ParquetSerializer.SerializeAsync(rows, stream).GetAwaiter().GetResult();
        return path;
    }

    public static List<Conversation> ReadAll(string path, DatasetOptions? options = null, DatasetStatistics? stats = null) =>
        DatasetReader.Read(path, options ?? new DatasetOptions(), stats).ToList();

    public static string Bad(string name) => Path.Combine(Paths.TestData, "bad", name);
    public static string Good(string name) => Path.Combine(Paths.TestData, "good", name);

    public static (string Role, string Content)[] Turns(Conversation c) => c.Messages.Select(m => (m.Role, m.Content)).ToArray();
}

internal sealed class AlpacaRow
{
    [JsonPropertyName("instruction")] public string? Instruction { get; set; }
    [JsonPropertyName("input")] public string? Input { get; set; }
    [JsonPropertyName("output")] public string? Output { get; set; }
    [JsonPropertyName("system")] public string? System { get; set; }
}

internal sealed class MessageRow
{
    [JsonPropertyName("role")] public string Role { get; set; } = "";
    [JsonPropertyName("content")] public string Content { get; set; } = "";
}

internal sealed class MessagesRow
{
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("messages")] public List<MessageRow> Messages { get; set; } = [];
}

internal sealed class QuestionAnswerRow
{
    [JsonPropertyName("question")] public string? Question { get; set; }
    [JsonPropertyName("answer")] public string? Answer { get; set; }
}

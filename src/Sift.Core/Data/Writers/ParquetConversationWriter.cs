using System.Text.Json.Serialization;
using Parquet;
using Parquet.Serialization;

namespace Sift.Data.Writers;

/// <summary>
/// Parquet with columns id: string and messages: list&lt;struct&lt;role: string, content: string&gt;&gt;,
/// the Hugging Face datasets shape of a messages data set. Rows are written in row groups of
/// <see cref="RowGroupRows"/> to a scratch file beside the output (Parquet appends need a seekable,
/// readable stream) and copied to the destination stream on Complete.
/// </summary>
public sealed class ParquetConversationWriter : ConversationWriter
{
    public const int RowGroupRows = 20_000;

    private readonly Stream _destination;
    private readonly FileStream _scratch;
    private readonly List<Row> _pending = new(RowGroupRows);
    private bool _wroteGroup;

    public ParquetConversationWriter(Stream destination, string outputPath)
    {
        _destination = destination;
        var dir = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        var scratch = Path.Combine(dir, $".{Path.GetFileName(outputPath)}.{Guid.NewGuid():N}.parts");
        _scratch = new FileStream(scratch, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    }

    public override void Write(Conversation conversation)
    {
        var messages = new List<MessageRow>(conversation.Messages.Count);
        foreach (var m in conversation.Messages) messages.Add(new MessageRow { Role = m.Role, Content = m.Content });
        _pending.Add(new Row { Id = conversation.Id, Messages = messages });
        if (_pending.Count == RowGroupRows) FlushGroup();
    }

    public override void Complete()
    {
        if (_pending.Count > 0 || !_wroteGroup) FlushGroup();
        _scratch.Position = 0;
        _scratch.CopyTo(_destination);
        _destination.Flush();
    }

    private void FlushGroup()
    {
        _scratch.Position = 0;
        ParquetSerializer.SerializeAsync(_pending, _scratch, new ParquetOptions { Append = _wroteGroup }).GetAwaiter().GetResult();
        _wroteGroup = true;
        _pending.Clear();
    }

    public override void Dispose() => _scratch.Dispose();

    private sealed class Row
    {
        [JsonPropertyName("id")] public string Id { get; set; } = "";
        [JsonPropertyName("messages")] public List<MessageRow> Messages { get; set; } = [];
    }

    private sealed class MessageRow
    {
        [JsonPropertyName("role")] public string Role { get; set; } = "";
        [JsonPropertyName("content")] public string Content { get; set; } = "";
    }
}

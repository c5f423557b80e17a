using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sift.Data.Writers;

/// <summary>One {"id", "messages"} object per line, UTF-8 kept readable (only JSON's required escapes).</summary>
public sealed class JsonlConversationWriter : ConversationWriter
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly Utf8JsonWriter _writer;
    private bool _closed;

    public JsonlConversationWriter(Stream stream, bool ownsStream = false)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        _writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    public override void Write(Conversation conversation) => Write(conversation, []);

    /// <summary>Writes the conversation with extra boolean fields after its messages (e.g. a noise label).</summary>
    public void Write(Conversation conversation, IEnumerable<(string Name, bool Value)> flags)
    {
        _writer.WriteStartObject();
        _writer.WriteString("id", conversation.Id);
        _writer.WriteStartArray("messages");
        foreach (var m in conversation.Messages)
        {
            _writer.WriteStartObject();
            _writer.WriteString("role", m.Role);
            _writer.WriteString("content", m.Content);
            _writer.WriteEndObject();
        }
        _writer.WriteEndArray();
        foreach (var (name, value) in flags) _writer.WriteBoolean(name, value);
        _writer.WriteEndObject();
        _writer.Flush();
        _writer.Reset(); // each line is its own JSON document; no separator between them
        _stream.WriteByte((byte)'\n');
    }

    public override void Complete()
    {
        _writer.Flush();
        _stream.Flush();
        Close();
    }

    public override void Dispose() => Close();

    private void Close()
    {
        if (_closed) return;
        _closed = true;
        _writer.Dispose();
        if (_ownsStream) _stream.Dispose(); // a compression stream writes its final frame here
    }
}

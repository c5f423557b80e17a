namespace Sift.Data.Writers;

/// <summary>Writes conversations in the OpenAI messages layout: {"id", "messages": [{"role", "content"}]}.</summary>
public abstract class ConversationWriter : IDisposable
{
    public abstract void Write(Conversation conversation);

    /// <summary>Finishes the file (footers, flushes); call once after the last Write.</summary>
    public abstract void Complete();

    public virtual void Dispose() { }

    /// <summary>A writer for the format the output name asks for (.jsonl, .jsonl.zst, .parquet), into <paramref name="stream"/>.</summary>
    public static ConversationWriter Create(DataFileFormat format, Stream stream, string outputPath) => format switch
    {
        DataFileFormat.Jsonl => new JsonlConversationWriter(stream),
        DataFileFormat.JsonlZst => new JsonlConversationWriter(new ZstdSharp.CompressionStream(stream, 3, leaveOpen: true), ownsStream: true),
        DataFileFormat.Parquet => new ParquetConversationWriter(stream, outputPath),
        _ => throw new SiftException($"{outputPath}: cannot write {DataFileFormats.Name(format)}; use .jsonl, .jsonl.zst or .parquet."),
    };
}

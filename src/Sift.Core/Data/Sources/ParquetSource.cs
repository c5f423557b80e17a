using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace Sift.Data.Sources;

/// <summary>
/// Reads a Parquet file one row group at a time and renders each row as a JSON object, so every
/// format shares one validation path. Nested columns (lists, structs, lists of structs as written
/// by Hugging Face datasets) become JSON lists and objects; nulls are left out.
/// </summary>
internal sealed class ParquetSource : IDisposable
{
    private readonly FileStream _stream;
    private readonly string _file;
    private readonly int _rowGroups;

    public ParquetSchema Schema { get; }

    private ParquetSource(FileStream stream, string file, ParquetSchema schema, int rowGroups)
    {
        _stream = stream;
        _file = file;
        Schema = schema;
        _rowGroups = rowGroups;
    }

    public static ParquetSource Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
            try { return new ParquetSource(stream, path, reader.Schema, reader.RowGroupCount); }
            finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        }
        catch (Exception e) when (e is not SiftException)
        {
            stream.Dispose();
            throw new SiftException($"{path}: not a readable Parquet file ({e.Message}).", e);
        }
    }

    public IReadOnlySet<string> ColumnNames => Schema.Fields.Select(f => f.Name).ToHashSet();

    /// <summary>The field names of a list-of-struct column's items (e.g. role/content of "messages").</summary>
    public IReadOnlySet<string>? ItemFieldsOf(string column)
    {
        var field = Schema.Fields.FirstOrDefault(f => f.Name == column);
        return field is ListField { Item: StructField item } ? item.Fields.Select(f => f.Name).ToHashSet() : null;
    }

    public IEnumerable<RawRecord> Read()
    {
        var json = new ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(json);
        long row = 0;
        for (int g = 0; g < _rowGroups; g++)
        {
            IList<Dictionary<string, object>> rows;
            try
            {
                _stream.Position = 0;
                rows = ParquetSerializer.DeserializeUntypedAsync(_stream, new ParquetOptions(), g).GetAwaiter().GetResult().Data;
            }
            catch (Exception e) when (e is not SiftException)
            {
                throw new SiftException($"{_file}: row group {g} (from row {row}) cannot be read: {e.Message}", e);
            }
            foreach (var values in rows)
            {
                json.ResetWrittenCount();
                writer.Reset(json);
                WriteValue(writer, values);
                writer.Flush();
                yield return new RawRecord(new ExampleSource(_file, row, SourceUnit.Row), json.WrittenMemory);
                row++;
            }
        }
    }

    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case ReadOnlyMemory<char> m: w.WriteStringValue(m.Span); break;
            case byte[] b: WriteBytes(w, b); break;
            case ReadOnlyMemory<byte> b: WriteBytes(w, b.Span); break;
            case bool b: w.WriteBooleanValue(b); break;
            case long or int or short or sbyte or byte or ushort or uint:
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: w.WriteNumberValue(u); break;
            case double d when double.IsFinite(d): w.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): w.WriteNumberValue(f); break;
            case decimal d: w.WriteNumberValue(d); break;
            case IDictionary<string, object> obj:
                w.WriteStartObject();
                foreach (var (key, item) in obj)
                {
                    if (item == null) continue;
                    w.WritePropertyName(key);
                    WriteValue(w, item);
                }
                w.WriteEndObject();
                break;
            case IEnumerable list:
                w.WriteStartArray();
                foreach (var item in list) WriteValue(w, item);
                w.WriteEndArray();
                break;
            case IFormattable f: w.WriteStringValue(f.ToString(null, CultureInfo.InvariantCulture)); break;
            default: w.WriteStringValue(value.ToString()); break;
        }
    }

    /// <summary>Binary columns holding text (pyarrow's "binary" strings) must be strict UTF-8; else they are base64.</summary>
    private static void WriteBytes(Utf8JsonWriter w, ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) w.WriteStringValue(Encoding.UTF8.GetString(bytes));
        else w.WriteBase64StringValue(bytes);
    }

    public void Dispose() => _stream.Dispose();
}

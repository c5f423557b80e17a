using System.Text.Encodings.Web;
using System.Text.Json;
using Parquet;
using Parquet.Serialization;
using Parquet.Schema;
using Sift.IO;

namespace Sift.Scoring;

/// <summary>
/// Reads and writes score tables as Parquet (typed columns; NaN stays NaN) and JSON Lines (one
/// object per row, columns in table order; NaN and ±inf are written as null since JSON has no
/// such numbers). Both writes are atomic. A table is always written in both forms: STEM.parquet
/// and STEM.jsonl.
/// </summary>
public static class ScoreTableFiles
{
    /// <summary>The output stem: the path without a .parquet or .jsonl extension.</summary>
    public static string Stem(string path)
    {
        foreach (var ext in new[] { ".parquet", ".jsonl" })
            if (path.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return path[..^ext.Length];
        return path;
    }

    public static string ParquetPath(string stem) => stem + ".parquet";
    public static string JsonlPath(string stem) => stem + ".jsonl";

    /// <summary>Writes STEM.parquet and STEM.jsonl.</summary>
    public static void WriteBoth(ScoreTable table, string stem)
    {
        WriteParquet(table, ParquetPath(stem));
        WriteJsonl(table, JsonlPath(stem));
    }

    public static void WriteParquet(ScoreTable table, string path) => AtomicFile.Write(path, stream =>
    {
        var fields = table.Columns.Select(Field).ToList();
        var schema = new ParquetSchema(fields);
        var writer = ParquetWriter.CreateAsync(schema, stream).GetAwaiter().GetResult();
        try
        {
            using var group = writer.CreateRowGroup();
            for (int i = 0; i < fields.Count; i++)
            {
                var write = table.Columns[i].Values switch
                {
                    string[] s => group.WriteAsync(fields[i], s),
                    long[] l => group.WriteAsync<long>(fields[i], l.AsMemory()),
                    double[] d => group.WriteAsync<double>(fields[i], d.AsMemory()),
                    bool[] b => group.WriteAsync<bool>(fields[i], b.AsMemory()),
                    _ => throw new InvalidOperationException(),
                };
                write.GetAwaiter().GetResult();
            }
        }
        finally
        {
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    });

    public static void WriteJsonl(ScoreTable table, string path) => AtomicFile.Write(path, stream =>
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        for (int r = 0; r < table.RowCount; r++)
        {
            json.WriteStartObject();
            foreach (var c in table.Columns)
            {
                json.WritePropertyName(c.Name);
                switch (c.Values)
                {
                    case string[] s: json.WriteStringValue(s[r]); break;
                    case long[] l: json.WriteNumberValue(l[r]); break;
                    case bool[] b: json.WriteBooleanValue(b[r]); break;
                    case double[] d when double.IsFinite(d[r]): json.WriteNumberValue(d[r]); break;
                    default: json.WriteNullValue(); break;
                }
            }
            json.WriteEndObject();
            json.Flush();
            json.Reset();
            stream.WriteByte((byte)'\n');
        }
    });

    /// <summary>Reads a .parquet or .jsonl score table.</summary>
    public static ScoreTable Read(string path)
    {
        if (!File.Exists(path)) throw new SiftException($"{path}: score table not found; `sift score ... --out` writes STEM.parquet and STEM.jsonl");
        return path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? ReadJsonl(path) : ReadParquet(path);
    }

    private static DataField Field(ScoreColumn c) => c.Values switch
    {
        string[] => new DataField<string>(c.Name),
        long[] => new DataField<long>(c.Name),
        double[] => new DataField<double>(c.Name),
        bool[] => new DataField<bool>(c.Name),
        _ => throw new InvalidOperationException(),
    };

    private static ScoreTable ReadParquet(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            DataField[] fields;
            int groups;
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
            try
            {
                fields = reader.Schema.GetDataFields();
                groups = reader.RowGroupCount;
            }
            finally
            {
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            var values = fields.Select(_ => new List<object?>()).ToList();
            for (int g = 0; g < groups; g++)
            {
                stream.Position = 0;
                foreach (var row in ParquetSerializer.DeserializeUntypedAsync(stream, new ParquetOptions(), g).GetAwaiter().GetResult().Data)
                    for (int i = 0; i < fields.Length; i++) values[i].Add(row.TryGetValue(fields[i].Name, out var v) ? v : null);
            }
            var columns = fields.Select((f, i) => new ScoreColumn(f.Name, Normalize(path, f, values[i]))).ToList();
            return Validated(columns, path);
        }
        catch (Exception e) when (e is not SiftException)
        {
            throw new SiftException($"{path}: not a readable Parquet score table ({e.Message})", e);
        }
    }

    /// <summary>One column as an array of string, long, double (null = NaN) or bool.</summary>
    private static Array Normalize(string path, DataField field, List<object?> all)
    {
        var name = field.Name;
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
            return all.Select(v => v switch { string s => s, ReadOnlyMemory<char> m => m.ToString(), _ => "" }).ToArray();
        if (type == typeof(double) || type == typeof(float)) return all.Select(v => v == null ? double.NaN : Convert.ToDouble(v)).ToArray();
        if (type == typeof(long) || type == typeof(int) || type == typeof(short))
        {
            if (all.Any(v => v == null)) return all.Select(v => v == null ? double.NaN : Convert.ToDouble(v)).ToArray();
            return all.Select(v => Convert.ToInt64(v)).ToArray();
        }
        if (type == typeof(bool)) return all.Select(v => v is true).ToArray();
        throw new SiftException($"{path}: column '{name}' has type {type.Name}; score tables hold text, integers, floats and booleans");
    }

    private static ScoreTable ReadJsonl(string path)
    {
        var names = new List<string>();
        var values = new Dictionary<string, List<JsonElement>>();
        int line = 0, rows = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw new SiftException($"{path}:{line}: malformed JSON ({e.Message}); the table is damaged, write it again"); }
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SiftException($"{path}:{line}: expected a JSON object per line");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!values.TryGetValue(p.Name, out var list))
                {
                    if (rows > 0) throw new SiftException($"{path}:{line}: column '{p.Name}' is missing from the earlier rows; every row needs the same columns");
                    names.Add(p.Name);
                    values[p.Name] = list = [];
                }
                list.Add(p.Value.Clone());
            }
            rows++;
            foreach (var n in names)
                if (values[n].Count != rows) throw new SiftException($"{path}:{line}: column '{n}' is missing; every row needs the same columns");
        }
        var columns = names.Select(n => new ScoreColumn(n, JsonColumn(path, n, values[n]))).ToList();
        if (columns.Count == 0) columns.Add(new ScoreColumn(ScoreTable.IdColumn, Array.Empty<string>()));
        return Validated(columns, path);
    }

    private static Array JsonColumn(string path, string name, List<JsonElement> items)
    {
        var kinds = items.Select(i => i.ValueKind).Where(k => k != JsonValueKind.Null).Distinct().ToList();
        if (kinds.Count == 0 || (kinds.Count == 1 && kinds[0] == JsonValueKind.Number))
            return items.Select(i => i.ValueKind == JsonValueKind.Null ? double.NaN : i.GetDouble()).ToArray();
        if (kinds.Count == 1 && kinds[0] == JsonValueKind.String && items.All(i => i.ValueKind == JsonValueKind.String))
            return items.Select(i => i.GetString()!).ToArray();
        if (kinds.All(k => k is JsonValueKind.True or JsonValueKind.False) && items.All(i => i.ValueKind != JsonValueKind.Null))
            return items.Select(i => i.GetBoolean()).ToArray();
        throw new SiftException($"{path}: column '{name}' mixes value kinds ({string.Join(", ", kinds)}); a column holds numbers (or null), text, or booleans");
    }

    private static ScoreTable Validated(List<ScoreColumn> columns, string path)
    {
        int id = columns.FindIndex(c => c.Name == ScoreTable.IdColumn);
        if (id < 0) throw new SiftException($"{path}: no 'id' column; a score table has one row per example id");
        if (columns[id].Values is not string[]) throw new SiftException($"{path}: the 'id' column must hold text");
        if (id != 0) { var c = columns[id]; columns.RemoveAt(id); columns.Insert(0, c); }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in (string[])columns[0].Values)
            if (!seen.Add(i)) throw new SiftException($"{path}: id '{i}' appears twice; a score table has one row per example");
        return new ScoreTable(columns);
    }
}

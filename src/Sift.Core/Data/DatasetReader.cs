using System.Text.Json;
using System.Text.Unicode;
using Sift.Data.Layouts;
using Sift.Data.Sources;
using Sift.Text;

namespace Sift.Data;

/// <summary>
/// Reads a data file (JSON Lines, JSON array, zstd JSON Lines or Parquet; any layout) as a stream
/// of validated, normalized conversations with stable ids. Memory stays bounded by one record plus
/// the set of ids seen. Every problem names the file, line or row and field; by default the first
/// invalid record stops the read with a SiftException, with SkipInvalid it is counted and sent to
/// the rejects sink instead. With <see cref="DatasetOptions.Limit"/> the read stops after that many
/// examples.
/// <para>Ids: the record's id field (string, or integer) when present, else the content hash of
/// <see cref="ExampleId"/>. A repeated given id is invalid. An example without an id whose content
/// repeats an earlier one is dropped and counted (it would repeat the hashed id).</para>
/// </summary>
public sealed class DatasetReader : IDisposable
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private readonly string _path;
    private readonly DatasetOptions _options;
    private readonly DatasetStatistics _stats;
    private readonly ExampleId _hasher = new();
    private readonly Dictionary<string, ExampleSource> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, ExampleSource> _contents = new();
    private readonly List<ParsedExample> _parsed = new(4);
    private LayoutFields? _fields;

    private DatasetReader(string path, DatasetOptions options, DatasetStatistics stats)
    {
        _path = path;
        _options = options;
        _stats = stats;
        if (options.Layout != DataLayout.Auto) _fields = LayoutFields.For(options.Layout, options.Columns);
        _stats.Layout = options.Layout;
    }

    /// <summary>Streams the conversations of a file; <paramref name="statistics"/> fills in as it goes.</summary>
    public static IEnumerable<Conversation> Read(string path, DatasetOptions options, DatasetStatistics? statistics = null)
    {
        if (!File.Exists(path)) throw new SiftException($"{path}: data file not found.");
        if (options.MaxRecordBytes < 2) throw new SiftException($"max_record_bytes must be at least 2, got {options.MaxRecordBytes}.");
        if (options.Limit is int limit) ExampleLimit.Check(limit, "limit");
        var format = options.FileFormat == DataFileFormat.Auto ? DataFileFormats.Detect(path) : options.FileFormat;
        statistics ??= new DatasetStatistics();
        statistics.FileFormat = format;
        return ReadIterator(path, options, statistics, format);
    }

    private static IEnumerable<Conversation> ReadIterator(string path, DatasetOptions options, DatasetStatistics stats, DataFileFormat format)
    {
        using var reader = new DatasetReader(path, options, stats);
        using var opened = OpenRecords(path, format, options, reader);
        var output = new List<Conversation>(4);
        long remaining = options.Limit ?? long.MaxValue;
        using var records = opened.Records.GetEnumerator();
        while (true)
        {
            try
            {
                if (!records.MoveNext()) break;
            }
            catch (ZstdSharp.ZstdException e)
            {
                throw new SiftException($"{path}: the zstd stream is truncated or damaged ({e.Message}); recompress the file.", e);
            }
            catch (EndOfStreamException e) when (format == DataFileFormat.JsonlZst)
            {
                throw new SiftException($"{path}: the zstd stream is truncated or damaged (it ends inside a compressed frame); " +
                                        "copy or download the file again, or recompress it.", e);
            }
            output.Clear();
            reader.Process(records.Current, output);
            foreach (var conversation in output)
            {
                yield return conversation;
                // Stops before reading further records: their problems and statistics are not part of this read.
                if (--remaining == 0) yield break;
            }
        }
        if (stats.Records == 0) throw new SiftException($"{path}: the file is empty (0 examples); give a data file with at least one example.");
    }

    private sealed class OpenedRecords(IEnumerable<RawRecord> records, params IDisposable[] owned) : IDisposable
    {
        public IEnumerable<RawRecord> Records { get; } = records;
        public void Dispose() { foreach (var d in owned) d.Dispose(); }
    }

    private static OpenedRecords OpenRecords(string path, DataFileFormat format, DatasetOptions options, DatasetReader reader)
    {
        if (format == DataFileFormat.Parquet)
        {
            var parquet = ParquetSource.Open(path);
            try
            {
                reader.UseParquetSchema(parquet);
                return new OpenedRecords(parquet.Read(), parquet);
            }
            catch
            {
                parquet.Dispose();
                throw;
            }
        }
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return format switch
        {
            DataFileFormat.Jsonl => new OpenedRecords(JsonLinesSource.Read(file, path, options.MaxRecordBytes), file),
            DataFileFormat.JsonArray => new OpenedRecords(JsonArraySource.Read(file, path, options.MaxRecordBytes), file),
            DataFileFormat.JsonlZst => OpenZstd(file, path, options),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    private static OpenedRecords OpenZstd(FileStream file, string path, DatasetOptions options)
    {
        var zstd = new ZstdSharp.DecompressionStream(file, 1 << 17);
        return new OpenedRecords(JsonLinesSource.Read(zstd, path, options.MaxRecordBytes), zstd, file);
    }

    /// <summary>Detects the layout from the columns, and checks the file has every column the layout needs.</summary>
    private void UseParquetSchema(ParquetSource parquet)
    {
        var columns = parquet.ColumnNames;
        _fields ??= LayoutDetector.Detect(columns, parquet.ItemFieldsOf, _options.Columns)
                    ?? throw LayoutDetector.Failure(_path, columns);
        _stats.Layout = _fields.Layout;
        var missing = _fields.Required.Where(c => !columns.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new SiftException(
                $"{_path}: column '{missing[0]}' not found; layout {DataLayoutNames.Name(_fields.Layout)} needs " +
                $"[{string.Join(", ", _fields.Required)}] and the file has [{string.Join(", ", columns)}]. " +
                "Map the names with --columns (e.g. --columns response=answer) or name the layout with --format.");
    }

    private void Process(RawRecord raw, List<Conversation> output)
    {
        _stats.Records++;
        if (raw.Problem != null)
        {
            Reject(raw.Source, null, raw.Problem, raw.Json);
            return;
        }
        var bytes = raw.Json.Span;
        int nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            Reject(raw.Source, null, $"contains a NUL byte at byte {nul + 1} of the record", raw.Json);
            return;
        }
        if (!Utf8.IsValid(bytes))
        {
            Reject(raw.Source, null, $"invalid UTF-8 at byte {FirstInvalidUtf8(bytes) + 1} of the record; save the file as UTF-8", raw.Json);
            return;
        }
        JsonDocument document;
        IReadOnlyDictionary<string, JsonElement>? kept;
        try
        {
            document = JsonDocument.Parse(raw.Json, DocumentOptions);
        }
        catch (JsonException e)
        {
            Reject(raw.Source, null, $"malformed JSON: {JsonErrors.Clean(e.Message)} (at byte {e.BytePositionInLine + 1})", raw.Json);
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                Reject(raw.Source, null, $"expected a JSON object, found {RecordFields.Describe(root.ValueKind)}", raw.Json);
                return;
            }
            _fields ??= DetectLayout(root, raw.Source);
            _parsed.Clear();
            try
            {
                ParseRecord(root, _fields, _parsed);
            }
            catch (InvalidRecordException e)
            {
                if (e.EmptyResponse && _options.SkipInvalid) _stats.EmptyResponses++;
                Reject(raw.Source, e.Field, e.Reason, raw.Json);
                return;
            }
            kept = KeptFields(root);
        }
        foreach (var example in _parsed) Admit(example, raw, output, kept);
    }

    private static void ParseRecord(JsonElement root, LayoutFields fields, List<ParsedExample> into)
    {
        switch (fields.Layout)
        {
            case DataLayout.Alpaca or DataLayout.PromptCompletion: into.Add(SingleTurnLayout.Parse(root, fields)); break;
            case DataLayout.ShareGpt or DataLayout.Messages: into.Add(ChatLayout.Parse(root, fields)); break;
            case DataLayout.SeedTasks: SeedTasksLayout.Parse(root, fields, into); break;
            default: throw new ArgumentOutOfRangeException(nameof(fields));
        }
    }

    private LayoutFields DetectLayout(JsonElement root, ExampleSource source)
    {
        var keys = root.EnumerateObject().Select(p => p.Name).ToHashSet();
        IReadOnlySet<string>? ItemKeys(string name) =>
            root.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0
            && list[0].ValueKind == JsonValueKind.Object
                ? list[0].EnumerateObject().Select(p => p.Name).ToHashSet()
                : null;
        var fields = LayoutDetector.Detect(keys, ItemKeys, _options.Columns) ?? throw LayoutDetector.Failure(source.ToString(), keys);
        _stats.Layout = fields.Layout;
        return fields;
    }

    private Dictionary<string, JsonElement>? KeptFields(JsonElement root)
    {
        if (_options.KeepFields.Count == 0) return null;
        var kept = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var name in _options.KeepFields)
            if (root.TryGetProperty(name, out var value)) kept[name] = value.Clone();
        return kept;
    }

    /// <summary>Assigns the id and applies the duplicate rules.</summary>
    private void Admit(ParsedExample example, RawRecord raw, List<Conversation> output, IReadOnlyDictionary<string, JsonElement>? kept)
    {
        Span<byte> hash = stackalloc byte[32];
        _hasher.ContentHash(example.Messages, hash);
        ulong contentKey = BitConverter.ToUInt64(hash);
        string id;
        if (example.GivenId != null)
        {
            id = example.GivenId;
            if (_ids.TryGetValue(id, out var first))
            {
                _stats.DuplicateIds++;
                Reject(raw.Source, _fields!.Id, $"duplicate id '{id}' (first used at {first}); ids must be unique", raw.Json);
                return;
            }
            if (!_contents.TryAdd(contentKey, raw.Source)) _stats.DuplicateContentKept++;
        }
        else
        {
            id = ExampleId.ToId(hash);
            if (_contents.TryGetValue(contentKey, out var first))
            {
                _stats.DuplicateContentDropped++;
                _options.Rejects?.Add(new Rejection(raw.Source, null,
                    $"duplicate: same content as the example at {first} (content id {id}); dropped", raw.Json));
                return;
            }
            if (_ids.TryGetValue(id, out var clash))
            {
                _stats.DuplicateIds++;
                Reject(raw.Source, _fields!.Id, $"content id '{id}' equals the given id of the example at {clash}; give this example an id", raw.Json);
                return;
            }
            _contents.Add(contentKey, raw.Source);
        }
        _ids.Add(id, raw.Source);
        _stats.Examples++;
        output.Add(kept == null ? new Conversation(id, example.Messages, raw.Source) : new Conversation(id, example.Messages, raw.Source) { Fields = kept });
    }

    private void Reject(ExampleSource source, string? field, string reason, ReadOnlyMemory<byte> raw)
    {
        if (!_options.SkipInvalid)
            throw new SiftException($"{source}: {FieldPrefix(field, reason)}{reason}. Fix the record, or pass --skip-invalid to skip invalid records " +
                                    "(they are counted and listed in a rejects file).");
        _stats.Invalid++;
        _options.Rejects?.Add(new Rejection(source, field, reason, raw));
    }

    /// <summary>Names the field unless the reason already does.</summary>
    private static string FieldPrefix(string? field, string reason) =>
        field == null || reason.Contains($"'{field}'", StringComparison.Ordinal) ? "" : $"field '{field}': ";

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        Utf8.ToUtf16(bytes, chars, out int read, out _, replaceInvalidSequences: false);
        return read;
    }

    public void Dispose() => _hasher.Dispose();
}

using System.Text.Json;

namespace Sift.Data.Sources;

/// <summary>
/// Streams the elements of one top-level JSON array with Utf8JsonReader over a growing window,
/// so the file never has to fit in memory; one element (up to the size limit) is held at a time.
/// Each element's source is the line its first byte is on and its 0-based index in the array. An element over the limit becomes
/// a problem record and is skipped (holding at most its longest single string). A syntax error
/// ends the read with a SiftException: inside one array there is no safe place to resume.
/// </summary>
internal sealed class JsonArraySource
{
    private const int KeepOfOversizeElement = 1024;
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    private readonly Stream _stream;
    private readonly string _file;
    private readonly int _max;
    private byte[] _buffer;
    private int _start, _end;
    private bool _eof, _seenOpen;
    private JsonReaderState _state = new(ReaderOptions);
    private bool _inElement, _oversize;
    private int _elementStart;
    private long _elementLine;
    private long _elementIndex = -1;
    private byte[]? _oversizeHead;
    private int _countedTo;
    private long _lineAtCounted = 1;

    private JsonArraySource(Stream stream, string file, int maxRecordBytes)
    {
        _stream = stream;
        _file = file;
        _max = maxRecordBytes;
        _buffer = new byte[Math.Min(1 << 20, maxRecordBytes + 1)];
    }

    public static IEnumerable<RawRecord> Read(Stream stream, string file, int maxRecordBytes)
    {
        var source = new JsonArraySource(stream, file, maxRecordBytes);
        var found = new List<RawRecord>();
        source.Fill();
        source.SkipByteOrderMark();
        while (true)
        {
            found.Clear();
            bool more = source.Scan(found);
            foreach (var record in found) yield return record;
            if (!more) yield break;
            source.Fill();
        }
    }

    /// <summary>A UTF-8 BOM before the '[' (as Windows editors write) is skipped, as for JSON Lines; Utf8JsonReader rejects it.</summary>
    private void SkipByteOrderMark()
    {
        if (_buffer.AsSpan(_start, _end - _start).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) _start += 3;
    }

    /// <summary>Reads the complete elements now in the window; false once the array has ended.</summary>
    private bool Scan(List<RawRecord> found)
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _eof, _state);
        try
        {
            while (reader.Read())
            {
                int pos = _start + (int)reader.TokenStartIndex;
                if (!_seenOpen)
                {
                    if (reader.TokenType != JsonTokenType.StartArray)
                        throw new SiftException($"{_file}:{LineAt(pos)}: expected a JSON array of examples ('['); " +
                                                "for one object per line name the file .jsonl");
                    _seenOpen = true;
                    continue;
                }
                if (reader.CurrentDepth == 0) continue; // the closing ']'
                if (!_inElement)
                {
                    _elementLine = LineAt(pos);
                    _elementIndex++;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        _inElement = true;
                        _elementStart = pos;
                        continue;
                    }
                    int stop = _start + (int)reader.BytesConsumed;
                    found.Add(new RawRecord(Source(), _buffer.AsMemory(pos, stop - pos)));
                    continue;
                }
                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && reader.CurrentDepth == 1)
                {
                    int stop = _start + (int)reader.BytesConsumed;
                    found.Add(_oversize
                        ? new RawRecord(Source(), _oversizeHead, OversizeReason())
                        : new RawRecord(Source(), _buffer.AsMemory(_elementStart, stop - _elementStart)));
                    _inElement = _oversize = false;
                }
            }
        }
        catch (JsonException e)
        {
            throw new SiftException($"{_file}:{(e.LineNumber ?? 0) + 1}: malformed JSON in the array: {JsonErrors.Clean(e.Message)}. " +
                                    "Fix the file (an array cannot be resumed after a syntax error) or convert it to JSON Lines.");
        }
        _state = reader.CurrentState;
        _start += (int)reader.BytesConsumed;
        if (_eof && !_seenOpen)
            throw new SiftException($"{_file}: the file is empty (0 examples); expected a JSON array of examples.");
        return !_eof;
    }

    private void Fill()
    {
        if (_inElement && !_oversize && _end - _elementStart > _max)
        {
            _oversize = true;
            _oversizeHead = _buffer.AsSpan(_elementStart, Math.Min(KeepOfOversizeElement, _end - _elementStart)).ToArray();
        }
        int keep = _inElement && !_oversize ? _elementStart : _start;
        LineAt(keep);
        Array.Copy(_buffer, keep, _buffer, 0, _end - keep);
        _end -= keep;
        _start -= keep;
        _elementStart -= keep;
        _countedTo = 0;
        if (_end == _buffer.Length)
        {
            // Utf8JsonReader needs a whole token in view, so skipping an oversize element may still need
            // room for its longest single string; only that much is held, never the whole element.
            long cap = _oversize ? Array.MaxLength : _max + 2L;
            Array.Resize(ref _buffer, (int)Math.Min(_buffer.Length * 2L, cap));
        }
        if (_end == _buffer.Length)
            throw new SiftException($"{_file}:{_lineAtCounted}: a single JSON value is too long to read ({_end:N0} bytes).");
        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _eof = true;
        _end += read;
    }

    private long LineAt(int pos)
    {
        _lineAtCounted += _buffer.AsSpan(_countedTo, pos - _countedTo).Count((byte)'\n');
        _countedTo = pos;
        return _lineAtCounted;
    }

    private ExampleSource Source() => new(_file, _elementLine) { Item = _elementIndex };

    private string OversizeReason() =>
        $"element is longer than the limit of {_max:N0} bytes (max_record_bytes); raise the limit if such examples are intended";
}

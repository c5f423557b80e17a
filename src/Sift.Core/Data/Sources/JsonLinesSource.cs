namespace Sift.Data.Sources;

/// <summary>
/// Streams the lines of a JSON Lines file without holding more than one line (up to the size
/// limit) in memory. Skips a leading UTF-8 BOM, strips "\r\n" endings and blank lines. A line over
/// the limit becomes a problem record holding its first bytes; the rest of it is read and dropped.
/// </summary>
internal static class JsonLinesSource
{
    private const int KeepOfOversizeLine = 1024;

    public static IEnumerable<RawRecord> Read(Stream stream, string file, int maxRecordBytes)
    {
        var buffer = new byte[Math.Min(1 << 20, maxRecordBytes + 1)];
        int start = 0, end = 0, scanFrom = 0;
        long line = 0;
        bool eof = false, first = true, discarding = false;
        while (true)
        {
            int nl = buffer.AsSpan(scanFrom, end - scanFrom).IndexOf((byte)'\n');
            if (nl >= 0 || (eof && start < end))
            {
                int stop = nl >= 0 ? scanFrom + nl : end;
                line++;
                int from = start;
                start = scanFrom = stop + (nl >= 0 ? 1 : 0);
                if (discarding)
                {
                    discarding = false;
                    continue;
                }
                int to = stop > from && buffer[stop - 1] == (byte)'\r' ? stop - 1 : stop;
                if (first)
                {
                    first = false;
                    if (buffer.AsSpan(from, to - from).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) from += 3;
                }
                if (to - from > maxRecordBytes)
                {
                    yield return Oversize(file, line, buffer.AsMemory(from, Math.Min(KeepOfOversizeLine, to - from)), maxRecordBytes);
                    continue;
                }
                if (IsBlank(buffer.AsSpan(from, to - from))) continue;
                yield return new RawRecord(new ExampleSource(file, line), buffer.AsMemory(from, to - from));
                continue;
            }
            if (eof) yield break;

            if (!discarding && end - start > maxRecordBytes)
            {
                // This line is over the limit: report it now, then drop bytes until its end.
                yield return Oversize(file, line + 1, buffer.AsMemory(start, Math.Min(KeepOfOversizeLine, end - start)), maxRecordBytes);
                discarding = true;
            }
            if (discarding) start = end;
            Array.Copy(buffer, start, buffer, 0, end - start);
            end -= start;
            scanFrom = end;
            start = 0;
            if (end == buffer.Length) Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxRecordBytes + 1L + 2));
            int read = stream.Read(buffer, end, buffer.Length - end);
            if (read == 0) eof = true;
            end += read;
        }
    }

    private static RawRecord Oversize(string file, long line, ReadOnlyMemory<byte> head, int max) =>
        new(new ExampleSource(file, line), head,
            $"line is longer than the limit of {max:N0} bytes (max_record_bytes); raise the limit if such examples are intended");

    private static bool IsBlank(ReadOnlySpan<byte> bytes) =>
        bytes.IndexOfAnyExcept((byte)' ', (byte)'\t', (byte)'\r') < 0;
}

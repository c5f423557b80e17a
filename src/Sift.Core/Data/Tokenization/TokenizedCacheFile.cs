using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Sift.Data.Layouts;
using Sift.IO;

namespace Sift.Data.Tokenization;

/// <summary>
/// One tokenized data set on disk, little-endian throughout:
/// <code>
/// header (256 bytes): magic "SIFTTOKS", u32 version, u32 header size, key (32-byte SHA-256),
///                     i64 examples N, i64 tokens T, i64 id bytes B, then the report counts as i64s
/// token offsets       (N+1) × i64, from 0 to T
/// token ids           T × i32
/// trained             T × u8 (0 or 1), zero-padded to a multiple of 8
/// id offsets          (N+1) × i64, from 0 to B
/// ids                 B bytes of UTF-8
/// checksum            SHA-256 of every byte before it
/// </code>
/// Written atomically; read through a memory map, and trusted only when the size, the checksum,
/// the key and every offset agree. Arrays are copied as they lie in memory, so this assumes a
/// little-endian machine (x64 and arm64, where Sift runs).
/// </summary>
internal static class TokenizedCacheFile
{
    public const int Version = 1;
    public const int HeaderSize = 256;
    private const int ChecksumSize = 32;
    private static ReadOnlySpan<byte> Magic => "SIFTTOKS"u8;

    // Header field offsets.
    private const int VersionAt = 8, HeaderSizeAt = 12, KeyAt = 16, ExamplesAt = 48, TokensAt = 56, IdBytesAt = 64, CountsAt = 72;
    private const int CountFields = 15;

    /// <summary>The cache file of a data file under a key: "{data file name}.{first 16 hex digits of the key}.tokens".</summary>
    public static string PathFor(string cacheDir, string dataPath, byte[] key) =>
        Path.Combine(cacheDir, $"{Path.GetFileName(dataPath)}.{Convert.ToHexStringLower(key)[..16]}.tokens");

    public static void Write(string path, byte[] key, TokenizedDataset dataset)
    {
        var examples = dataset.Examples;
        long n = examples.Count, t = examples.Sum(e => (long)e.Length);
        var idBytes = examples.Select(e => Encoding.UTF8.GetBytes(e.Id)).ToArray();
        long b = idBytes.Sum(x => (long)x.Length);

        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(VersionAt), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(HeaderSizeAt), HeaderSize);
        key.CopyTo(header, KeyAt);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(ExamplesAt), n);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(TokensAt), t);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(IdBytesAt), b);
        var counts = Counts(dataset.Report);
        for (int i = 0; i < counts.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(CountsAt + 8 * i), counts[i]);

        AtomicFile.Write(path, stream =>
        {
            using var output = new HashingWriter(stream);
            output.Write(header);
            long at = 0;
            output.WriteInt64(0);
            foreach (var e in examples) output.WriteInt64(at += e.Length);
            foreach (var e in examples) output.Write(MemoryMarshal.AsBytes(e.Tokens.AsSpan()));
            foreach (var e in examples) output.Write(MemoryMarshal.AsBytes(e.Trained.AsSpan()));
            output.Write(new byte[Pad8(t) - t]);
            at = 0;
            output.WriteInt64(0);
            foreach (var id in idBytes) output.WriteInt64(at += id.Length);
            foreach (var id in idBytes) output.Write(id);
            output.WriteChecksum();
        });
    }

    /// <summary>The data set in the file, or null with what is wrong with it.</summary>
    public static TokenizedDataset? TryRead(string path, byte[] key, out string? problem)
    {
        try
        {
            return Read(path, key, out problem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot be read: {e.Message}";
            return null;
        }
    }

    private static unsafe TokenizedDataset? Read(string path, byte[] key, out string? problem)
    {
        long length = new FileInfo(path).Length;
        if (length < HeaderSize + ChecksumSize)
        {
            problem = $"{length} bytes is shorter than the header";
            return null;
        }
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* start = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
        try
        {
            return Parse(new MappedBytes(start + view.PointerOffset, length), key, out problem);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    private static TokenizedDataset? Parse(MappedBytes file, byte[] key, out string? problem)
    {
        var header = file.Slice(0, HeaderSize);
        problem = null;
        if (!header.StartsWith(Magic)) problem = "it is not a Sift tokenized cache (wrong magic bytes)";
        else if (BinaryPrimitives.ReadInt32LittleEndian(header[VersionAt..]) != Version)
            problem = $"format version {BinaryPrimitives.ReadInt32LittleEndian(header[VersionAt..])}, expected {Version}";
        else if (BinaryPrimitives.ReadInt32LittleEndian(header[HeaderSizeAt..]) != HeaderSize) problem = "wrong header size";
        else if (!header.Slice(KeyAt, 32).SequenceEqual(key)) problem = "its key does not match its inputs";
        if (problem != null) return null;

        long n = BinaryPrimitives.ReadInt64LittleEndian(header[ExamplesAt..]);
        long t = BinaryPrimitives.ReadInt64LittleEndian(header[TokensAt..]);
        long b = BinaryPrimitives.ReadInt64LittleEndian(header[IdBytesAt..]);
        if (n < 0 || t < 0 || b < 0 || n > int.MaxValue || t > file.Length || b > file.Length)
        {
            problem = "impossible counts in the header";
            return null;
        }
        long tokenOffsetsAt = HeaderSize, idsAt = tokenOffsetsAt + 8 * (n + 1), trainedAt = idsAt + 4 * t;
        long idOffsetsAt = trainedAt + Pad8(t), idBytesAt = idOffsetsAt + 8 * (n + 1), checksumAt = idBytesAt + b;
        if (checksumAt + ChecksumSize != file.Length)
        {
            problem = $"{file.Length} bytes where the header implies {checksumAt + ChecksumSize} (truncated or damaged)";
            return null;
        }
        if (!file.Checksum(checksumAt).AsSpan().SequenceEqual(file.Slice(checksumAt, ChecksumSize)))
        {
            problem = "checksum mismatch (the file is damaged)";
            return null;
        }

        var tokenOffsets = ReadOffsets(file, tokenOffsetsAt, n, t);
        var idOffsets = ReadOffsets(file, idOffsetsAt, n, b);
        if (tokenOffsets == null || idOffsets == null)
        {
            problem = "offsets out of order";
            return null;
        }
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var examples = new TokenizedExample[n];
        for (int i = 0; i < n; i++)
        {
            int count = checked((int)(tokenOffsets[i + 1] - tokenOffsets[i]));
            var tokens = new int[count];
            var trained = new bool[count];
            file.Slice(idsAt + 4 * tokenOffsets[i], 4L * count).CopyTo(MemoryMarshal.AsBytes(tokens.AsSpan()));
            var trainedBytes = file.Slice(trainedAt + tokenOffsets[i], count);
            if (trainedBytes.ContainsAnyExcept((byte)0, (byte)1))
            {
                problem = $"example {i} has a trained flag that is neither 0 nor 1";
                return null;
            }
            trainedBytes.CopyTo(MemoryMarshal.AsBytes(trained.AsSpan()));
            string id;
            try { id = strict.GetString(file.Slice(idBytesAt + idOffsets[i], idOffsets[i + 1] - idOffsets[i])); }
            catch (DecoderFallbackException)
            {
                problem = $"example {i} has an id that is not UTF-8";
                return null;
            }
            examples[i] = new TokenizedExample(id, tokens, trained);
        }
        var report = ReportFrom(header);
        if (report.Kept != n)
        {
            problem = $"the report counts {report.Kept} examples but the file holds {n}";
            return null;
        }
        return new TokenizedDataset(examples, report);
    }

    /// <summary>n+1 offsets from 0 to <paramref name="total"/>, never decreasing; null otherwise.</summary>
    private static long[]? ReadOffsets(MappedBytes file, long at, long n, long total)
    {
        var offsets = new long[n + 1];
        file.Slice(at, 8 * (n + 1)).CopyTo(MemoryMarshal.AsBytes(offsets.AsSpan()));
        if (offsets[0] != 0 || offsets[^1] != total) return null;
        for (int i = 1; i < offsets.Length; i++)
            if (offsets[i] < offsets[i - 1] || offsets[i] - offsets[i - 1] > int.MaxValue) return null;
        return offsets;
    }

    private static long[] Counts(TokenizationReport r) =>
    [
        (long)r.Read.FileFormat, (long)r.Read.Layout, r.Read.Records, r.Read.Examples, r.Read.Invalid, r.Read.EmptyResponses,
        r.Read.DuplicateIds, r.Read.DuplicateContentDropped, r.Read.DuplicateContentKept,
        r.Kept, r.Truncated, r.DroppedTooLong, r.DroppedNothingTrained, 0, 0,
    ];

    private static TokenizationReport ReportFrom(ReadOnlySpan<byte> header)
    {
        var c = new long[CountFields];
        for (int i = 0; i < CountFields; i++) c[i] = BinaryPrimitives.ReadInt64LittleEndian(header[(CountsAt + 8 * i)..]);
        var read = new DatasetStatistics
        {
            FileFormat = (DataFileFormat)c[0], Layout = (DataLayout)c[1], Records = c[2], Examples = c[3], Invalid = c[4],
            EmptyResponses = c[5], DuplicateIds = c[6], DuplicateContentDropped = c[7], DuplicateContentKept = c[8],
        };
        return new TokenizationReport(read, c[9], c[10], c[11], c[12]);
    }

    private static long Pad8(long x) => (x + 7) & ~7L;

    /// <summary>A read-only memory-mapped file as spans (each under 2 GiB).</summary>
    private readonly unsafe struct MappedBytes(byte* start, long length)
    {
        public long Length { get; } = length;

        public ReadOnlySpan<byte> Slice(long offset, long count)
        {
            if (offset < 0 || count < 0 || offset + count > Length || count > int.MaxValue)
                throw new InvalidDataException($"bytes [{offset}, {offset + count}) lie outside the {Length}-byte file");
            return new ReadOnlySpan<byte>(start + offset, (int)count);
        }

        public byte[] Checksum(long count)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (long at = 0; at < count; at += 1 << 30) sha.AppendData(Slice(at, Math.Min(1 << 30, count - at)));
            return sha.GetHashAndReset();
        }
    }

    /// <summary>Writes through a buffer and hashes every byte written.</summary>
    private sealed class HashingWriter(Stream stream) : IDisposable
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly BufferedStream _buffer = new(stream, 1 << 20);

        public void Write(ReadOnlySpan<byte> bytes)
        {
            _sha.AppendData(bytes);
            _buffer.Write(bytes);
        }

        public void WriteInt64(long value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
            Write(bytes);
        }

        public void WriteChecksum()
        {
            _buffer.Write(_sha.GetHashAndReset());
            _buffer.Flush();
        }

        public void Dispose() => _sha.Dispose();
    }
}

namespace Sift.Data;

/// <summary>The container a data file is stored in.</summary>
public enum DataFileFormat
{
    /// <summary>Decide from the file name (and, for .json, the first byte).</summary>
    Auto,
    /// <summary>One JSON object per line (.jsonl, .ndjson).</summary>
    Jsonl,
    /// <summary>Zstandard-compressed JSON Lines (.jsonl.zst).</summary>
    JsonlZst,
    /// <summary>One JSON array of objects (.json).</summary>
    JsonArray,
    /// <summary>Apache Parquet, one row per record (the Hugging Face datasets layout).</summary>
    Parquet,
}

public static class DataFileFormats
{
    public static string Name(DataFileFormat format) => format switch
    {
        DataFileFormat.Jsonl => "jsonl",
        DataFileFormat.JsonlZst => "jsonl.zst",
        DataFileFormat.JsonArray => "json",
        DataFileFormat.Parquet => "parquet",
        _ => "auto",
    };

    /// <summary>
    /// The format of an existing file: by extension; a .json file whose first non-blank byte is
    /// not '[' is read as JSON Lines (many tools write JSON Lines under a .json name).
    /// </summary>
    public static DataFileFormat Detect(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".parquet")) return DataFileFormat.Parquet;
        if (name.EndsWith(".jsonl.zst") || name.EndsWith(".ndjson.zst") || name.EndsWith(".json.zst")) return DataFileFormat.JsonlZst;
        if (name.EndsWith(".jsonl") || name.EndsWith(".ndjson")) return DataFileFormat.Jsonl;
        if (name.EndsWith(".json")) return StartsWithArray(path) ? DataFileFormat.JsonArray : DataFileFormat.Jsonl;
        throw new SiftException(
            $"{path}: cannot tell the file format from the name; use .jsonl, .json, .jsonl.zst or .parquet.");
    }

    /// <summary>The format to write, from the output file's name.</summary>
    public static DataFileFormat ForOutput(string path)
    {
        var name = Path.GetFileName(path).ToLowerInvariant();
        if (name.EndsWith(".parquet")) return DataFileFormat.Parquet;
        if (name.EndsWith(".jsonl.zst")) return DataFileFormat.JsonlZst;
        if (name.EndsWith(".jsonl") || name.EndsWith(".ndjson")) return DataFileFormat.Jsonl;
        throw new SiftException($"{path}: cannot write this kind of file; name the output .jsonl, .jsonl.zst or .parquet.");
    }

    private static bool StartsWithArray(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4096];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var bytes = head[..n];
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        foreach (var b in bytes)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
            return b == (byte)'[';
        }
        return false;
    }
}

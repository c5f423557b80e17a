using System.Security.Cryptography;
using System.Text;
using Sift.Text;

namespace Sift.Data;

/// <summary>
/// Content ids for examples that have no id field. The canonical serialization of a conversation
/// is, for each message in order, the UTF-8 bytes of the role, one 0x00 byte, the UTF-8 bytes of
/// the content, one 0x00 byte (content never holds NUL: the reader rejects it, so this is
/// unambiguous). The id is the first 16 lowercase hex digits of SHA-256 over those bytes; it
/// depends only on the normalized messages, so the same example gets the same id from any file
/// format, layout or position. Example: [user "Hi", assistant "Hello"] hashes
/// "user\0Hi\0assistant\0Hello\0".
/// </summary>
public sealed class ExampleId : IDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _scratch = new byte[4096];

    /// <summary>The SHA-256 of the canonical serialization (32 bytes).</summary>
    public void ContentHash(IReadOnlyList<ChatMessage> messages, Span<byte> hash32)
    {
        ReadOnlySpan<byte> zero = [0];
        foreach (var m in messages)
        {
            Append(m.Role);
            _sha.AppendData(zero);
            Append(m.Content);
            _sha.AppendData(zero);
        }
        _sha.GetHashAndReset(hash32);
    }

    public static string ToId(ReadOnlySpan<byte> hash32) => Convert.ToHexStringLower(hash32[..8]);

    /// <summary>The content id of a conversation (one-off convenience).</summary>
    public static string Of(IReadOnlyList<ChatMessage> messages)
    {
        using var id = new ExampleId();
        Span<byte> hash = stackalloc byte[32];
        id.ContentHash(messages, hash);
        return ToId(hash);
    }

    private void Append(string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max > _scratch.Length) _scratch = new byte[Math.Max(max, _scratch.Length * 2)];
        int n = Encoding.UTF8.GetBytes(text, _scratch);
        _sha.AppendData(_scratch, 0, n);
    }

    public void Dispose() => _sha.Dispose();
}

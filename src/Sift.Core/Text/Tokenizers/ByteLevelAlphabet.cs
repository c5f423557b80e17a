namespace Sift.Text.Tokenizers;

/// <summary>
/// GPT-2's byte-level alphabet: every byte gets a printable character so that a byte string can be
/// stored as vocabulary text. Printable Latin-1 bytes stand for themselves; the other 68 bytes take
/// the characters from U+0100 upward, in byte order.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = BuildCharToByte();

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes behind a vocabulary entry, or null if some character is outside the alphabet.</summary>
    public static byte[]? Decode(string entry)
    {
        var bytes = new byte[entry.Length];
        for (int i = 0; i < entry.Length; i++)
        {
            if (!CharToByte.TryGetValue(entry[i], out var b)) return null;
            bytes[i] = b;
        }
        return bytes;
    }

    private static bool StandsForItself(int b) => (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) map[b] = StandsForItself(b) ? (char)b : (char)next++;
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (byte)b;
        return map;
    }
}

using System.Buffers.Binary;
using System.Text;
using Sift.IO;

namespace Sift.Native;

/// <summary>
/// libLibTorchSharp.so declares a need for GLIBCXX_3.4.32, which Debian 12's libstdc++ lacks.
/// The only symbol behind that need has no relocations, so the need is harmless, but dlopen
/// refuses it. Marking the version-need entry weak (VER_FLG_WEAK) in .gnu.version_r makes the
/// loader accept the library. The patch is idempotent and written atomically. The build applies it
/// to the copies in the output and publish folders (build/NativePatch, which compiles this file);
/// TorchRuntime checks again at start-up.
/// </summary>
public static class GlibcxxVersionFix
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;
    private const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>Patches the file if needed; returns true when the file was changed.</summary>
    public static bool Apply(string soPath)
    {
        var bytes = File.ReadAllBytes(soPath);
        if (!MarkWeak(bytes)) return false;
        AtomicFile.WriteAllBytes(soPath, bytes); // a new file renamed over the old: the old may be a hard link into the package cache
        return true;
    }

    /// <summary>Sets VER_FLG_WEAK on the Vernaux entry naming GLIBCXX_3.4.32; true if it changed.</summary>
    public static bool MarkWeak(byte[] elf) => SetWeak(elf, weak: true);

    /// <summary>Sets or clears (tests use this to rebuild the unpatched file) the flag; true if it changed.</summary>
    public static bool SetWeak(byte[] elf, bool weak)
    {
        var span = elf.AsSpan();
        if (span.Length < 64 || span[0] != 0x7f || span[1] != (byte)'E' || span[2] != (byte)'L' || span[3] != (byte)'F')
            return false;
        if (span[4] != 2 || span[5] != 1) return false; // ELF64 little-endian only

        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        bool changed = false;
        for (int i = 0; i < shnum; i++)
        {
            var sh = span.Slice(checked((int)shoff + i * shentsize), shentsize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            int offset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]));
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[44..]);
            var strtab = span.Slice(checked((int)shoff + link * shentsize), shentsize);
            int strOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(strtab[24..]));

            int verneed = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(verneed + 2)..]);
                int aux = verneed + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    int nameOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]);
                    if (ReadCString(span, strOffset + nameOffset) == MissingVersion)
                    {
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(span[(aux + 4)..]);
                        var wanted = (ushort)(weak ? flags | VerFlgWeak : flags & ~VerFlgWeak);
                        if (wanted != flags)
                        {
                            BinaryPrimitives.WriteUInt16LittleEndian(span[(aux + 4)..], wanted);
                            changed = true;
                        }
                    }
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }
                int next = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 12)..]);
                if (next == 0) break;
                verneed += next;
            }
        }
        return changed;
    }

    private static string ReadCString(ReadOnlySpan<byte> span, int offset)
    {
        int end = span[offset..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(span.Slice(offset, end < 0 ? 0 : end));
    }
}

using System.Runtime.InteropServices;
using System.Text;

namespace Sift.Text.Tokenizers;

/// <summary>
/// Unicode NFC for tokenizers whose tokenizer.json asks for it (Qwen2). The project builds with
/// InvariantGlobalization, where string.Normalize silently returns its input, so this calls the
/// system's ICU (the library .NET itself uses) directly. Without ICU the text stays as it is, which
/// is right for all text that is already NFC (nearly all text).
/// </summary>
internal static unsafe class UnicodeNfc
{
    private static readonly Lazy<Icu?> Library = new(Icu.TryLoad);

    public static string Normalize(string text)
    {
        // Nothing below U+0300 composes with what precedes it, or changes under NFC.
        if (text.All(c => c < '\u0300')) return text;
        if (!(AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant) && invariant))
            return text.Normalize(NormalizationForm.FormC);
        return Library.Value?.Nfc(text) ?? text;
    }

    private sealed class Icu(IntPtr normalizer, delegate* unmanaged<IntPtr, char*, int, char*, int, int*, int> normalize)
    {
        public string? Nfc(string text)
        {
            var buffer = new char[text.Length * 3 + 16];
            int error = 0, length;
            fixed (char* source = text)
            fixed (char* dest = buffer)
                length = normalize(normalizer, source, text.Length, dest, buffer.Length, &error);
            return error > 0 ? null : new string(buffer, 0, length);   // ICU: > 0 is a failure, ≤ 0 success or warning
        }

        public static Icu? TryLoad()
        {
            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return null;
            foreach (var (name, suffix) in Candidates())
            {
                if (!NativeLibrary.TryLoad(name, out var handle)) continue;
                if (!NativeLibrary.TryGetExport(handle, "unorm2_getNFCInstance" + suffix, out var getInstance) ||
                    !NativeLibrary.TryGetExport(handle, "unorm2_normalize" + suffix, out var normalize)) continue;
                int error = 0;
                var instance = ((delegate* unmanaged<int*, IntPtr>)getInstance)(&error);
                if (error > 0 || instance == IntPtr.Zero) continue;
                return new Icu(instance, (delegate* unmanaged<IntPtr, char*, int, char*, int, int*, int>)normalize);
            }
            return null;
        }

        private static IEnumerable<(string Name, string Suffix)> Candidates()
        {
            for (int version = 90; version >= 50; version--)
                yield return ($"libicuuc.so.{version}", $"_{version}");
            yield return ("libicuuc.so", "");
            yield return ("libicucore.dylib", "");
        }
    }
}

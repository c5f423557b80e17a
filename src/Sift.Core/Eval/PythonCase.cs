using System.Globalization;
using System.Text;

namespace Sift.Eval;

/// <summary>
/// Python's str.islower() and str.isupper(), which IFEval's case checks call: every cased character
/// has the case and at least one cased character exists, so "123 !" is neither lower nor upper case.
/// A character is upper case when it is an uppercase letter or has a lowercase mapping (Ⓐ, Ⅻ),
/// lower case when it is a lowercase letter or has an uppercase mapping (ⓐ, ⅻ), and titlecase
/// letters (ǅ) are neither; Python's Other_Lowercase letters without a case mapping (ª, ʰ) are the
/// only ones this does not count.
/// </summary>
internal static class PythonCase
{
    public static bool IsLower(string text) => Cased(text, wanted: Kind.Lower);

    public static bool IsUpper(string text) => Cased(text, wanted: Kind.Upper);

    private enum Kind { None, Lower, Upper, Title }

    private static bool Cased(string text, Kind wanted)
    {
        bool cased = false;
        foreach (var rune in text.EnumerateRunes())
        {
            var kind = Of(rune);
            if (kind == Kind.Title || (kind != Kind.None && kind != wanted)) return false;
            if (kind == wanted) cased = true;
        }
        return cased;
    }

    private static Kind Of(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.TitlecaseLetter => Kind.Title,
        UnicodeCategory.UppercaseLetter => Kind.Upper,
        UnicodeCategory.LowercaseLetter => Kind.Lower,
        _ when Rune.ToLowerInvariant(rune) != rune => Kind.Upper,
        _ when Rune.ToUpperInvariant(rune) != rune => Kind.Lower,
        _ => Kind.None,
    };
}

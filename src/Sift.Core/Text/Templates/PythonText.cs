namespace Sift.Text.Templates;

/// <summary>
/// String operations with Python's semantics, as the official Jinja templates call them
/// (<c>content.strip()</c> and the <c>trim</c> filter). Python's idea of whitespace is .NET's plus
/// the four separator controls U+001C..U+001F, so <see cref="string.Trim()"/> alone would differ.
/// </summary>
internal static class PythonText
{
    public static bool IsWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';

    public static string Strip(string text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && IsWhiteSpace(text[start])) start++;
        while (end > start && IsWhiteSpace(text[end - 1])) end--;
        return text[start..end];
    }
}

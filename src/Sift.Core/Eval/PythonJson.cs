using System.Text;
using System.Text.Json;

namespace Sift.Eval;

/// <summary>
/// Whether Python's json.loads accepts a text, which IFEval's json_format rule asks: standard JSON
/// plus the constants NaN, Infinity and -Infinity as values. Those are written as null (never
/// merging with a neighbouring character into something valid) before .NET parses the text.
/// </summary>
internal static class PythonJson
{
    private static readonly string[] Constants = ["-Infinity", "Infinity", "NaN"];

    public static bool Parses(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(WithoutConstants(text));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string WithoutConstants(string text)
    {
        var output = new StringBuilder(text.Length);
        bool inString = false;
        char previous = '\0'; // the last character outside strings that is not JSON whitespace
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                output.Append(c);
                if (c == '\\' && i + 1 < text.Length) output.Append(text[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            // A value starts at the beginning or after '[', ',' or ':'.
            if (previous is '\0' or '[' or ',' or ':' && Constants.FirstOrDefault(k => string.CompareOrdinal(text, i, k, 0, k.Length) == 0) is { } constant)
            {
                output.Append("null");
                i += constant.Length - 1;
                previous = 'l';
                continue;
            }
            output.Append(c);
            if (c == '"') inString = true;
            if (c is not (' ' or '\t' or '\n' or '\r')) previous = c;
        }
        return output.ToString();
    }
}

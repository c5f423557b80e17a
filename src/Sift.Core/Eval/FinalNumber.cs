using System.Globalization;
using System.Text.RegularExpressions;

namespace Sift.Eval;

/// <summary>
/// GSM8K-style exact match: the reference answer ends with "#### &lt;number&gt;"; from generated text
/// the last number is taken (commas, "$" and a trailing "." stripped) and compared numerically.
/// </summary>
public static partial class FinalNumber
{
    /// <summary>The number after the last "####" of a GSM8K reference answer, or null.</summary>
    public static decimal? FromReference(string answer)
    {
        int i = answer.LastIndexOf("####", StringComparison.Ordinal);
        return i < 0 ? null : Parse(answer[(i + 4)..].Trim());
    }

    /// <summary>The last number in generated text, or null when there is none.</summary>
    public static decimal? FromGenerated(string text)
    {
        var matches = NumberPattern().Matches(text);
        for (int k = matches.Count - 1; k >= 0; k--)
            if (Parse(matches[k].Value) is decimal d) return d;
        return null;
    }

    public static bool Matches(string generated, string reference) =>
        FromGenerated(generated) is decimal g && (FromReference(reference) ?? FromGenerated(reference)) is decimal r && g == r;

    private static decimal? Parse(string s)
    {
        s = s.Replace(",", "").Replace("$", "").TrimEnd('.');
        return decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) ? d : null;
    }

    [GeneratedRegex(@"-?\$?\d[\d,]*(?:\.\d+)?")]
    private static partial Regex NumberPattern();
}

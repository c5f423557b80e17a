using System.Globalization;

namespace Sift.Data;

/// <summary>The --limit / data.limit value: how many valid examples to read from the start of a data file.</summary>
public static class ExampleLimit
{
    /// <param name="source">Where the text came from, for the message: "--limit", or "recipe.yaml:7: data.limit".</param>
    public static int Parse(string text, string source) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw Invalid(text, source);

    public static int Check(int limit, string source) => limit > 0 ? limit : throw Invalid(limit.ToString(CultureInfo.InvariantCulture), source);

    private static SiftException Invalid(string text, string source) =>
        new($"{source}: expected a positive whole number of examples, got '{text}'; give N of at least 1 to read only the first N valid " +
            "examples of the data file, or leave it out to read the whole file");
}

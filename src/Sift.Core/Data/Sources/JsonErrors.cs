namespace Sift.Data.Sources;

internal static class JsonErrors
{
    /// <summary>System.Text.Json's message without its trailing "Path: ... | LineNumber: ..." position, which the caller states better.</summary>
    public static string Clean(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut >= 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}

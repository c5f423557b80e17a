namespace Sift.Reports;

/// <summary>A table for both outputs of `sift report`: HTML (through <see cref="HtmlReport"/>) and Markdown.</summary>
public sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    public string ToMarkdown()
    {
        static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ");
        var lines = new List<string>
        {
            "| " + string.Join(" | ", Header.Select(Cell)) + " |",
            "|" + string.Concat(Header.Select((_, i) => i == 0 ? "---|" : "---:|")),
        };
        lines.AddRange(Rows.Select(r => "| " + string.Join(" | ", r.Select(Cell)) + " |"));
        return string.Join("\n", lines) + "\n";
    }
}

using System.Net;
using System.Text;
using Sift.IO;

namespace Sift.Reports;

/// <summary>
/// A self-contained HTML page: headings, paragraphs, tables and PNG images embedded as data URIs,
/// so the single file can be mailed or archived. Images are also written beside it as PNG files.
/// </summary>
public sealed class HtmlReport(string title)
{
    private readonly StringBuilder _body = new();
    private readonly List<(string Name, byte[] Png)> _images = [];

    public HtmlReport Heading(string text)
    {
        _body.Append("<h2>").Append(WebUtility.HtmlEncode(text)).Append("</h2>\n");
        return this;
    }

    public HtmlReport Paragraph(string text)
    {
        _body.Append("<p>").Append(WebUtility.HtmlEncode(text)).Append("</p>\n");
        return this;
    }

    public HtmlReport Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _body.Append("<div class=\"scroll\"><table>\n<tr>");
        foreach (var h in header) _body.Append("<th>").Append(WebUtility.HtmlEncode(h)).Append("</th>");
        _body.Append("</tr>\n");
        foreach (var row in rows)
        {
            _body.Append("<tr>");
            for (int i = 0; i < row.Count; i++)
                _body.Append(i > 0 && !LooksNumeric(row[i]) ? "<td class=\"text\">" : "<td>").Append(WebUtility.HtmlEncode(row[i])).Append("</td>");
            _body.Append("</tr>\n");
        }
        _body.Append("</table></div>\n");
        return this;
    }

    /// <summary>Numbers (and empty cells) are right-aligned; other text is left-aligned.</summary>
    private static bool LooksNumeric(string cell) =>
        cell.Length == 0 || char.IsAsciiDigit(cell[0]) || (cell.Length > 1 && cell[0] is '-' or '+' or '.' && char.IsAsciiDigit(cell[1]));

    public HtmlReport List(IEnumerable<string> items)
    {
        _body.Append("<ul>\n");
        foreach (var item in items) _body.Append("<li>").Append(WebUtility.HtmlEncode(item)).Append("</li>\n");
        _body.Append("</ul>\n");
        return this;
    }

    /// <param name="name">File name of the PNG written beside the report (letters, digits, '-', '_').</param>
    public HtmlReport Image(string name, byte[] png, string caption)
    {
        _images.Add((name, png));
        _body.Append("<figure><img alt=\"").Append(WebUtility.HtmlEncode(caption)).Append("\" src=\"data:image/png;base64,")
            .Append(Convert.ToBase64String(png)).Append("\"><figcaption>").Append(WebUtility.HtmlEncode(caption)).Append("</figcaption></figure>\n");
        return this;
    }

    public string ToHtml() =>
        $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{WebUtility.HtmlEncode(title)}</title>
        <style>
        body {"{"} font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; {"}"}
        .scroll {"{"} overflow-x: auto; {"}"}
        table {"{"} border-collapse: collapse; margin: 1em 0; font-size: 90%; {"}"}
        th, td {"{"} border: 1px solid #ccc; padding: 4px 8px; text-align: right; {"}"}
        td {"{"} white-space: nowrap; {"}"} td.text {"{"} text-align: left; {"}"}
        li {"{"} margin: 0.3em 0; {"}"}
        th {"{"} background: #f3f3f3; {"}"}
        td:first-child, th:first-child {"{"} text-align: left; {"}"}
        figure {"{"} margin: 1em 0; {"}"} img {"{"} max-width: 100%; {"}"} figcaption {"{"} color: #555; font-size: 90%; {"}"}
        </style></head>
        <body><h1>{WebUtility.HtmlEncode(title)}</h1>
        {_body}</body></html>
        """;

    /// <summary>Writes the HTML file and, beside it, each image as NAME.png; all atomically.</summary>
    public void Save(string htmlPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(htmlPath))!;
        foreach (var (name, png) in _images) AtomicFile.WriteAllBytes(Path.Combine(dir, name + ".png"), png);
        AtomicFile.WriteAllText(htmlPath, ToHtml());
    }
}

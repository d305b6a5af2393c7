using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Outcomes;

/// <summary>
/// Exports a report's Markdown to a standalone HTML document, by hand, for the subset of Markdown the report composer
/// writes: ATX headings, paragraphs, <c>-</c> lists, <c>1.</c> lists, pipe tables (with <c>---:</c> right alignment),
/// code spans and <c>**bold**</c>; backslash escapes are honoured. Every character of text is HTML-escaped
/// (<c>&amp; &lt; &gt; " '</c>) before any markup is added, so content from the files can never become markup.
/// </summary>
public sealed partial class HtmlExporter : IRealmService
{
    /// <summary>Exports a report: its Markdown, the HTML document, and the SHA-256 of each.</summary>
    /// <param name="title">The document's title.</param>
    /// <param name="markdown">The Markdown.</param>
    /// <returns>The exported report.</returns>
    public ExportedReport Export(string title, string markdown)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(markdown);
        var html = new StringBuilder()
            .Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(Escape(title)).Append("</title>\n")
            .Append("<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.5}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}code{background:#f4f4f4}</style>\n")
            .Append("</head>\n<body>\n").Append(ToHtml(markdown)).Append("</body>\n</html>\n").ToString();
        return new ExportedReport(markdown, html, Sha256(markdown), Sha256(html));
    }

    /// <summary>Converts Markdown (the subset described on the class) to HTML.</summary>
    /// <param name="markdown">The Markdown.</param>
    /// <returns>The HTML fragment.</returns>
    public string ToHtml(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var html = new StringBuilder();
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var paragraph = new List<string>();
        string? list = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (list is not null && !IsItem(line, list))
            {
                html.Append("</").Append(list).Append(">\n");
                list = null;
            }

            if (line.Trim().Length == 0)
            {
                Paragraph();
                continue;
            }

            if (Heading().Match(line) is { Success: true } heading)
            {
                Paragraph();
                var level = heading.Groups[1].Value.Length;
                html.Append("<h").Append(level).Append('>').Append(Inline(heading.Groups[2].Value.Trim())).Append("</h").Append(level).Append(">\n");
            }
            else if (IsItem(line, "ul") || IsItem(line, "ol"))
            {
                Paragraph();
                var kind = IsItem(line, "ul") ? "ul" : "ol";
                if (list is null)
                {
                    html.Append('<').Append(kind).Append(">\n");
                    list = kind;
                }

                var text = kind == "ul" ? line[2..] : OrderedItem().Match(line).Groups[1].Value;
                html.Append("<li>").Append(Inline(text)).Append("</li>\n");
            }
            else if (line.TrimStart().StartsWith('|') && i + 1 < lines.Length && Separator().IsMatch(lines[i + 1].Trim()))
            {
                Paragraph();
                var alignments = Cells(lines[i + 1]).Select(c => c.Trim().EndsWith(':') ? " style=\"text-align:right\"" : "").ToList();
                html.Append("<table>\n<thead>\n");
                Row("th", Cells(line), alignments);
                html.Append("</thead>\n<tbody>\n");
                i += 2;
                while (i < lines.Length && lines[i].TrimStart().StartsWith('|'))
                {
                    Row("td", Cells(lines[i]), alignments);
                    i++;
                }

                i--;
                html.Append("</tbody>\n</table>\n");
            }
            else
            {
                paragraph.Add(line.Trim());
            }
        }

        Paragraph();
        if (list is not null)
        {
            html.Append("</").Append(list).Append(">\n");
        }

        return html.ToString();

        void Paragraph()
        {
            if (paragraph.Count > 0)
            {
                html.Append("<p>").Append(Inline(string.Join(" ", paragraph))).Append("</p>\n");
                paragraph.Clear();
            }
        }

        void Row(string cell, IReadOnlyList<string> cells, IReadOnlyList<string> alignments)
        {
            html.Append("<tr>");
            for (var c = 0; c < cells.Count; c++)
            {
                html.Append('<').Append(cell).Append(c < alignments.Count ? alignments[c] : "").Append('>').Append(Inline(cells[c].Trim())).Append("</").Append(cell).Append('>');
            }

            html.Append("</tr>\n");
        }
    }

    /// <summary>Escapes text for HTML: <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>, <c>"</c> and <c>'</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The escaped text.</returns>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            escaped.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }

        return escaped.ToString();
    }

    // Inline markup: code spans first (their content is literal), then, outside them, backslash escapes and **bold**.
    private static string Inline(string text)
    {
        var html = new StringBuilder();
        var plain = new StringBuilder();
        var bold = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && !char.IsLetterOrDigit(text[i + 1]) && !char.IsWhiteSpace(text[i + 1]))
            {
                plain.Append(text[++i]);
            }
            else if (c == '`' && text.IndexOf('`', i + 1) is var end and > 0)
            {
                Flush();
                html.Append("<code>").Append(Escape(text[(i + 1)..end])).Append("</code>");
                i = end;
            }
            else if (c == '*' && i + 1 < text.Length && text[i + 1] == '*' && (bold || text.IndexOf("**", i + 2, StringComparison.Ordinal) > 0))
            {
                Flush();
                html.Append(bold ? "</strong>" : "<strong>");
                bold = !bold;
                i++;
            }
            else
            {
                plain.Append(c);
            }
        }

        Flush();
        if (bold)
        {
            html.Append("</strong>");
        }

        return html.ToString();

        void Flush()
        {
            html.Append(Escape(plain.ToString()));
            plain.Clear();
        }
    }

    private static bool IsItem(string line, string list) => list == "ul" ? line.StartsWith("- ", StringComparison.Ordinal) : OrderedItem().IsMatch(line);

    // A table row's cells: split at '|' that is not escaped; the outer pipes are optional.
    private static List<string> Cells(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.StartsWith('|'))
        {
            trimmed = trimmed[1..];
        }

        if (trimmed.EndsWith('|') && !trimmed.EndsWith("\\|", StringComparison.Ordinal))
        {
            trimmed = trimmed[..^1];
        }

        var cells = new List<string>();
        var cell = new StringBuilder();
        for (var i = 0; i < trimmed.Length; i++)
        {
            if (trimmed[i] == '\\' && i + 1 < trimmed.Length && trimmed[i + 1] == '|')
            {
                cell.Append("\\|");
                i++;
            }
            else if (trimmed[i] == '|')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(trimmed[i]);
            }
        }

        cells.Add(cell.ToString());
        return cells;
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^\d+\.\s+(.*)$")]
    private static partial Regex OrderedItem();

    [GeneratedRegex(@"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")]
    private static partial Regex Separator();
}

using System.Text;
using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Content;

/// <summary>
/// Parses CSV (RFC 4180): comma-separated fields, the first record the header; a field in double quotes may hold
/// commas, line breaks and doubled quotes (<c>""</c> for one). Line breaks are CRLF, LF or CR. Unquoted fields are
/// trimmed; quoted fields are kept as written. A row with fewer cells than the header is padded with missing values;
/// one with more, or an unterminated quote, is <c>content.invalid_file</c>. Blank lines between rows are skipped.
/// </summary>
public sealed class CsvParser : IRealmService
{
    /// <summary>Parses a CSV file into a table and one fact per row.</summary>
    /// <param name="name">The file's name (for provenance).</param>
    /// <param name="text">The file's text.</param>
    /// <returns>The parsed file.</returns>
    public ParsedDocument Parse(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        return ContentText.Table(name, "csv", text, ParseTable(name, text));
    }

    /// <summary>Parses a CSV file's text into a table.</summary>
    /// <param name="name">The file's name (for error messages).</param>
    /// <param name="text">The file's text.</param>
    /// <returns>The table.</returns>
    public ParsedTable ParseTable(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = Records(name, ContentText.WithoutBom(text));
        if (records.Count == 0)
        {
            return new ParsedTable([], []);
        }

        var header = records[0].Fields;
        var rows = new List<TableRow>(records.Count - 1);
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count > header.Count)
            {
                throw new SymphainyException(ContentErrors.InvalidFile, $"{name}, line {line}: {fields.Count} cells, but the header has {header.Count} columns.");
            }

            rows.Add(new TableRow(rows.Count + 1, line, [.. fields, .. Enumerable.Repeat("", header.Count - fields.Count)]));
        }

        return new ParsedTable(header, rows);
    }

    private static List<(int Line, List<string> Fields)> Records(string name, string text)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var quoted = false;      // inside a quoted field
        var wasQuoted = false;   // the current field was quoted (kept as written, not trimmed)
        var quoteLine = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n' || (c == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
                    {
                        line++;
                    }

                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when field.ToString().Trim().Length == 0 && !wasQuoted:
                    quoted = true;
                    wasQuoted = true;
                    quoteLine = line;
                    field.Clear();
                    break;
                case ',':
                    fields.Add(Finish(field, wasQuoted));
                    wasQuoted = false;
                    break;
                case '\r' or '\n':
                    if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                    }

                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        if (quoted)
        {
            throw new SymphainyException(ContentErrors.InvalidFile, $"{name}, line {quoteLine}: a quoted field is not closed.");
        }

        EndRecord();
        return records;

        void EndRecord()
        {
            fields.Add(Finish(field, wasQuoted));
            wasQuoted = false;
            if (fields.Count > 1 || fields[0].Length > 0)
            {
                records.Add((recordLine, [.. fields]));
            }

            fields.Clear();
        }
    }

    private static string Finish(StringBuilder field, bool quoted)
    {
        var value = quoted ? field.ToString() : field.ToString().Trim();
        field.Clear();
        return value;
    }
}

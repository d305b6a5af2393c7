using System.Security.Cryptography;
using System.Text;

namespace Symphainy.Samples.Realms.Content;

/// <summary>Pure helpers the content parsers share (not a service: no step calls it).</summary>
internal static class ContentText
{
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string WithoutBom(string text) => text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;

    public static string[] Lines(string text) => WithoutBom(text).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');

    public static ContentFact RowFact(string file, ParsedTable table, TableRow row) =>
        new($"{file}#row={row.Number}", $"Row {row.Number} of {file}: " + string.Join("; ", table.Columns.Select((column, i) =>
            $"{column} = {(i < row.Cells.Count && row.Cells[i].Length > 0 ? row.Cells[i] : "(missing)")}")));

    public static ContentFact ChunkFact(string file, TextChunk chunk) =>
        new(ChunkReference(file, chunk), chunk.Text);

    public static string ChunkReference(string file, TextChunk chunk) => $"{file}#chunk={chunk.Index};lines={chunk.FirstLine}-{chunk.LastLine}";

    public static ParsedDocument Table(string name, string kind, string text, ParsedTable table) =>
        new(name, kind, Sha256(text), table, [], [.. table.Rows.Select(row => RowFact(name, table, row))]);

    public static ParsedDocument Chunks(string name, string kind, string text, IReadOnlyList<TextChunk> chunks) =>
        new(name, kind, Sha256(text), null, chunks, [.. chunks.Select(chunk => ChunkFact(name, chunk))]);
}

using System.Globalization;
using System.Text.Json;
using Symphainy.Realms;

namespace Symphainy.Samples.Realms.Content;

/// <summary>
/// Parses JSON: an array of objects becomes a table (columns are the objects' properties in order of first appearance,
/// nested values flattened to dotted paths, a missing property a missing value); anything else becomes one passage per
/// leaf value, <c>path = value</c>, citing <c>{file}#chunk={n};lines=1-1</c> (JSON has no useful line numbers here).
/// Invalid JSON is <c>content.invalid_file</c>.
/// </summary>
public sealed class JsonFlattener : IRealmService
{
    /// <summary>Parses a JSON file.</summary>
    /// <param name="name">The file's name (for provenance).</param>
    /// <param name="text">The file's text.</param>
    /// <returns>The parsed file.</returns>
    public ParsedDocument Parse(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(ContentText.WithoutBom(text));
        }
        catch (JsonException e)
        {
            throw new SymphainyException(ContentErrors.InvalidFile, $"{name}: not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 && root.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object))
            {
                var flattened = root.EnumerateArray().Select(e =>
                {
                    var leaves = new List<(string Path, string Value)>();
                    Flatten(e, "", leaves);
                    return leaves;
                }).ToList();
                var columns = flattened.SelectMany(leaves => leaves.Select(l => l.Path)).Distinct(StringComparer.Ordinal).ToList();
                var rows = flattened.Select((leaves, i) =>
                {
                    var values = leaves.ToDictionary(l => l.Path, l => l.Value, StringComparer.Ordinal);
                    return new TableRow(i + 1, 1, [.. columns.Select(c => values.GetValueOrDefault(c, ""))]);
                }).ToList();
                return ContentText.Table(name, "json", text, new ParsedTable(columns, rows));
            }

            var all = new List<(string Path, string Value)>();
            Flatten(root, "", all);
            return ContentText.Chunks(name, "json", text, [.. all.Select((leaf, i) => new TextChunk(i + 1, 1, 1, "", $"{(leaf.Path.Length == 0 ? "$" : leaf.Path)} = {leaf.Value}"))]);
        }
    }

    private static void Flatten(JsonElement element, string path, List<(string Path, string Value)> leaves)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", leaves);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{path}[{index++.ToString(CultureInfo.InvariantCulture)}]", leaves);
                }

                break;
            case JsonValueKind.String:
                leaves.Add((path, element.GetString() ?? ""));
                break;
            case JsonValueKind.Null:
                leaves.Add((path, ""));
                break;
            default:
                leaves.Add((path, element.GetRawText()));
                break;
        }
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Symphainy.Capabilities;

/// <summary>
/// Checks a JSON value against the JSON Schema subset that <see cref="System.Text.Json.Schema.JsonSchemaExporter"/>
/// produces for C# types: <c>type</c> (one or several), <c>properties</c>, <c>required</c>,
/// <c>additionalProperties: false</c>, <c>items</c>, <c>enum</c>, <c>pattern</c>, <c>$ref</c> within the document, and
/// <c>true</c>/<c>false</c> schemas. Property names match case-insensitively, as the platform's deserializer
/// does. Other keywords are not checked (the typed deserialization that follows still is).
/// </summary>
public static class JsonSchemaValidator
{
    /// <summary>Every problem of <paramref name="value"/> against <paramref name="schema"/>, each naming the field as a JSON path.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="value">The value.</param>
    public static IReadOnlyList<string> Validate(JsonNode schema, JsonElement value)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var problems = new List<string>();
        Check(schema, schema, value, "$", problems, depth: 0);
        return problems;
    }

    private static void Check(JsonNode root, JsonNode? schema, JsonElement value, string path, List<string> problems, int depth)
    {
        if (depth > 64 || problems.Count >= 20)
        {
            return;
        }

        switch (schema)
        {
            case null:
                return;
            case JsonValue boolean when boolean.TryGetValue<bool>(out var allowed):
                if (!allowed)
                {
                    problems.Add($"{path}: no value is allowed here");
                }

                return;
            case not JsonObject:
                return;
        }

        var rules = schema.AsObject();
        if (rules["$ref"]?.GetValue<string>() is { } reference)
        {
            Check(root, Resolve(root, reference), value, path, problems, depth + 1);
            return;
        }

        if (rules["type"] is { } type && !TypeMatches(type, value))
        {
            problems.Add($"{path}: expected {Describe(type)}, got {Name(value)}");
            return;
        }

        if (value.ValueKind == JsonValueKind.String && rules["pattern"]?.GetValue<string>() is { } pattern
            && !Regex.IsMatch(value.GetString()!, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            // Web JSON reads numbers from strings, so a number's schema also allows a string that looks like one.
            problems.Add(rules["type"] is { } declared && Describe(declared) is var expected && (expected.Contains("integer", StringComparison.Ordinal) || expected.Contains("number", StringComparison.Ordinal))
                ? $"{path}: expected {Describe(declared).Replace("string or ", "", StringComparison.Ordinal)}, got string"
                : $"{path}: does not match the pattern {pattern}");
        }

        if (rules["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, JsonSerializer.SerializeToNode(value))))
        {
            problems.Add($"{path}: must be one of {options.ToJsonString()}");
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            var present = value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase);
            var properties = rules["properties"] as JsonObject;
            if (rules["required"] is JsonArray required)
            {
                foreach (var name in required.Select(r => r!.GetValue<string>()))
                {
                    if (!present.ContainsKey(name))
                    {
                        problems.Add($"{path}.{name}: is required");
                    }
                }
            }

            foreach (var (name, item) in present)
            {
                var property = properties?.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
                if (property is { Key: not null } found && found.Value is not null)
                {
                    Check(root, found.Value, item, $"{path}.{found.Key}", problems, depth + 1);
                }
                else if (rules["additionalProperties"] is JsonValue extra && extra.TryGetValue<bool>(out var allowed) && !allowed)
                {
                    problems.Add($"{path}.{name}: is not a known field");
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Array && rules["items"] is { } items)
        {
            var index = 0;
            foreach (var element in value.EnumerateArray())
            {
                Check(root, items, element, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]"), problems, depth + 1);
            }
        }
    }

    private static JsonNode? Resolve(JsonNode root, string reference)
    {
        if (reference == "#")
        {
            return root;
        }

        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        var node = root;
        foreach (var segment in reference[2..].Split('/'))
        {
            var key = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject o => o[key],
                JsonArray a when int.TryParse(key, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    private static bool TypeMatches(JsonNode type, JsonElement value) => type switch
    {
        JsonArray several => several.Any(t => t is not null && TypeMatches(t, value)),
        JsonValue one when one.TryGetValue<string>(out var name) => name switch
        {
            "object" => value.ValueKind == JsonValueKind.Object,
            "array" => value.ValueKind == JsonValueKind.Array,
            "string" => value.ValueKind == JsonValueKind.String,
            "number" => value.ValueKind == JsonValueKind.Number,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "null" => value.ValueKind == JsonValueKind.Null,
            _ => true,
        },
        _ => true,
    };

    private static string Describe(JsonNode type) => type is JsonArray several
        ? string.Join(" or ", several.Select(t => t?.ToString()))
        : type.ToString();

    private static string Name(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}

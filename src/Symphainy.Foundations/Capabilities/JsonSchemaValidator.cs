using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Symphainy.Capabilities;

/// <summary>
/// Checks JSON values against the JSON Schema subset that <see cref="System.Text.Json.Schema.JsonSchemaExporter"/>
/// produces for C# types: <c>type</c> (one or several), <c>properties</c>, <c>required</c>,
/// <c>additionalProperties: false</c>, <c>items</c>, <c>enum</c>, <c>pattern</c>, <c>$ref</c> within the document, and
/// <c>true</c>/<c>false</c> schemas. Property names match case-insensitively, as the platform's deserializer does.
/// Other keywords are not checked (the typed deserialization that follows still is). The schema is compiled once;
/// a valid value is checked without allocating, and field paths are only built for problems.
/// </summary>
internal sealed class JsonSchemaValidator
{
    private const int MaxProblems = 20;
    private const int MaxDepth = 64;
    private readonly Node _root;

    /// <summary>Compiles <paramref name="schema"/>.</summary>
    /// <param name="schema">The schema.</param>
    public JsonSchemaValidator(JsonNode schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _root = new Compiler(schema).Compile(schema);
    }

    /// <summary>Every problem of <paramref name="value"/> against <paramref name="schema"/>, each naming the field as a JSON path.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="value">The value.</param>
    public static IReadOnlyList<string> Validate(JsonNode schema, JsonElement value) => new JsonSchemaValidator(schema).Validate(value);

    /// <summary>Every problem of <paramref name="value"/>, each naming the field as a JSON path; empty when valid.</summary>
    /// <param name="value">The value.</param>
    public IReadOnlyList<string> Validate(JsonElement value)
    {
        List<string>? problems = null;
        var path = new PathStack();
        Check(_root, value, ref path, ref problems, 0);
        return problems is null ? [] : problems;
    }

    private static void Check(Node node, JsonElement value, ref PathStack path, ref List<string>? problems, int depth)
    {
        if (depth > MaxDepth || problems?.Count >= MaxProblems)
        {
            return;
        }

        node = node.Resolved;
        if (node.Allowed is { } allowed)
        {
            if (!allowed)
            {
                Add(ref problems, path, "no value is allowed here");
            }

            return;
        }

        if (node.Types != Kinds.None && (Kind(value) & node.Types) == 0)
        {
            Add(ref problems, path, $"expected {node.TypeText}, got {Name(value)}");
            return;
        }

        if (node.Pattern is { } pattern && value.ValueKind == JsonValueKind.String && !pattern.IsMatch(value.GetString()!))
        {
            // Web JSON reads numbers from strings, so a number's schema also allows a string that looks like one.
            Add(ref problems, path, (node.Types & (Kinds.Integer | Kinds.Number)) != 0
                ? $"expected {node.TypeText.Replace("string or ", "", StringComparison.Ordinal)}, got string"
                : $"does not match the pattern {pattern}");
        }

        if (node.Enum is { } options && !options.Any(o => JsonElement.DeepEquals(o, value)))
        {
            Add(ref problems, path, $"must be one of {node.EnumText}");
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            CheckObject(node, value, ref path, ref problems, depth);
        }
        else if (value.ValueKind == JsonValueKind.Array && node.Items is { } items)
        {
            var index = 0;
            foreach (var element in value.EnumerateArray())
            {
                path.Push(index++);
                Check(items, element, ref path, ref problems, depth + 1);
                path.Pop();
            }
        }
    }

    private static void CheckObject(Node node, JsonElement value, ref PathStack path, ref List<string>? problems, int depth)
    {
        foreach (var required in node.Required)
        {
            if (!HasProperty(value, required))
            {
                path.Push(required);
                Add(ref problems, path, "is required");
                path.Pop();
            }
        }

        foreach (var property in value.EnumerateObject())
        {
            if (node.Properties is not null && node.Properties.TryGetValue(property.Name, out var schema))
            {
                path.Push(schema.Name!);
                Check(schema, property.Value, ref path, ref problems, depth + 1);
                path.Pop();
            }
            else if (node.NoAdditionalProperties)
            {
                path.Push(property.Name);
                Add(ref problems, path, "is not a known field");
                path.Pop();
            }
        }
    }

    private static bool HasProperty(JsonElement value, string name)
    {
        if (value.TryGetProperty(name, out _))
        {
            return true;
        }

        foreach (var property in value.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(ref List<string>? problems, PathStack path, string problem) =>
        (problems ??= []).Add($"{path}: {problem}");

    private static Kinds Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => Kinds.Object,
        JsonValueKind.Array => Kinds.Array,
        JsonValueKind.String => Kinds.String,
        JsonValueKind.Number => value.TryGetInt64(out _) ? Kinds.Number | Kinds.Integer : Kinds.Number,
        JsonValueKind.True or JsonValueKind.False => Kinds.Boolean,
        JsonValueKind.Null => Kinds.Null,
        _ => Kinds.None,
    };

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

    [Flags]
    private enum Kinds
    {
        None = 0,
        Object = 1,
        Array = 2,
        String = 4,
        Number = 8,
        Integer = 16,
        Boolean = 32,
        Null = 64,
    }

    /// <summary>One compiled schema; <see cref="Resolved"/> follows a <c>$ref</c>.</summary>
    private sealed class Node
    {
        public string? Name { get; init; }

        public Node? Reference { get; set; }

        public Node Resolved => Reference?.Resolved ?? this;

        public bool? Allowed { get; init; }

        public Kinds Types { get; init; }

        public string TypeText { get; init; } = "";

        public Regex? Pattern { get; init; }

        public JsonElement[]? Enum { get; init; }

        public string EnumText { get; init; } = "";

        public Dictionary<string, Node>? Properties { get; set; }

        public string[] Required { get; init; } = [];

        public bool NoAdditionalProperties { get; init; }

        public Node? Items { get; set; }
    }

    private sealed class Compiler(JsonNode root)
    {
        private readonly Dictionary<string, Node> _references = new(StringComparer.Ordinal);

        public Node Compile(JsonNode? schema, string? name = null)
        {
            if (schema is JsonValue boolean && boolean.TryGetValue<bool>(out var allowed))
            {
                return new Node { Name = name, Allowed = allowed };
            }

            if (schema is not JsonObject rules)
            {
                return new Node { Name = name };
            }

            if (rules["$ref"]?.GetValue<string>() is { } reference)
            {
                var node = new Node { Name = name };
                if (!_references.TryGetValue(reference, out var target))
                {
                    // Registered before compiling, so a recursive type refers back to it instead of looping.
                    target = new Node();
                    _references[reference] = target;
                    var compiled = Compile(Resolve(reference));
                    target.Reference = compiled;
                }

                node.Reference = target;
                return node;
            }

            var type = rules["type"];
            var node2 = new Node
            {
                Name = name,
                Types = type is null ? Kinds.None : KindsOf(type),
                TypeText = type is JsonArray several ? string.Join(" or ", several.Select(t => t?.ToString())) : type?.ToString() ?? "",
                Pattern = rules["pattern"]?.GetValue<string>() is { } pattern ? new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null,
                Enum = rules["enum"] is JsonArray options ? options.Select(o => JsonSerializer.SerializeToElement(o)).ToArray() : null,
                EnumText = rules["enum"]?.ToJsonString() ?? "",
                Required = rules["required"] is JsonArray required ? required.Select(r => r!.GetValue<string>()).ToArray() : [],
                NoAdditionalProperties = rules["additionalProperties"] is JsonValue extra && extra.TryGetValue<bool>(out var more) && !more,
            };
            if (rules["properties"] is JsonObject properties)
            {
                node2.Properties = new Dictionary<string, Node>(StringComparer.OrdinalIgnoreCase);
                foreach (var (key, value) in properties)
                {
                    node2.Properties[key] = Compile(value, key);
                }
            }

            if (rules["items"] is { } items)
            {
                node2.Items = Compile(items);
            }

            return node2;
        }

        private JsonNode? Resolve(string reference)
        {
            if (reference == "#")
            {
                return root;
            }

            if (!reference.StartsWith("#/", StringComparison.Ordinal))
            {
                return null;
            }

            JsonNode? node = root;
            foreach (var segment in reference[2..].Split('/'))
            {
                var key = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                node = node switch
                {
                    JsonObject o => o[key],
                    JsonArray a when int.TryParse(key, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                    _ => null,
                };
            }

            return node;
        }

        private static Kinds KindsOf(JsonNode type) => type switch
        {
            JsonArray several => several.Where(t => t is not null).Aggregate(Kinds.None, (all, t) => all | KindsOf(t!)),
            JsonValue one when one.TryGetValue<string>(out var name) => name switch
            {
                "object" => Kinds.Object,
                "array" => Kinds.Array,
                "string" => Kinds.String,
                "number" => Kinds.Number,
                "integer" => Kinds.Integer,
                "boolean" => Kinds.Boolean,
                "null" => Kinds.Null,
                _ => Kinds.Object | Kinds.Array | Kinds.String | Kinds.Number | Kinds.Integer | Kinds.Boolean | Kinds.Null,
            },
            _ => Kinds.None,
        };
    }

    /// <summary>The path to the current value, kept as segments; turned into <c>$.a.b[2]</c> only for a problem.</summary>
    private struct PathStack
    {
        private List<(string? Name, int Index)>? _segments;

        public void Push(string name) => (_segments ??= []).Add((name, 0));

        public void Push(int index) => (_segments ??= []).Add((null, index));

        public readonly void Pop() => _segments!.RemoveAt(_segments.Count - 1);

        public override readonly string ToString()
        {
            var text = new StringBuilder("$");
            foreach (var (name, index) in _segments ?? [])
            {
                text.Append(name is null ? string.Create(CultureInfo.InvariantCulture, $"[{index}]") : "." + name);
            }

            return text.ToString();
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Symphainy.Experience.Client;

/// <summary>The contract's JSON: camelCase names, enums as strings, nulls left out of what the client sends.</summary>
internal static class SymphainyJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace Symphainy.Internal;

/// <summary>The JSON settings of recorded payloads: web naming, enums as strings, no indentation.</summary>
internal static class SymphainyJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };
}

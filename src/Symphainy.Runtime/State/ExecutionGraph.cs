using System.Text.Json;
using System.Text.Json.Serialization;
using Symphainy.Internal;
using Symphainy.Sagas;

namespace Symphainy.State;

/// <summary>
/// How executions appear in the <see cref="IStateGraph"/>: node ids and the typed properties of saga nodes. The
/// projector that writes them and the queries that read ended sagas back share this one definition.
/// </summary>
public static class ExecutionGraph
{
    /// <summary>The node of a saga: its id's string form.</summary>
    /// <param name="saga">The saga.</param>
    public static string SagaNode(SagaId saga) => saga.ToString();

    /// <summary>The node of a saga's output artifact.</summary>
    /// <param name="saga">The saga.</param>
    public static string OutputNode(SagaId saga) => $"{saga}/output";

    /// <summary>The node of a saga's step.</summary>
    /// <param name="saga">The saga.</param>
    /// <param name="index">The step's index.</param>
    public static string StepNode(SagaId saga, int index) => $"{saga}/step/{index}";

    /// <summary>The node of what a step produced: a fact (a service step's result) or an artifact (an agent's output).</summary>
    /// <param name="saga">The saga.</param>
    /// <param name="index">The step's index.</param>
    /// <param name="agent">Whether an agent produced it.</param>
    public static string ProducedNode(SagaId saga, int index, bool agent) => $"{saga}/{(agent ? "artifact" : "fact")}/{index}";
}

/// <summary>The properties of a saga's node in the state graph.</summary>
/// <param name="Definition">The saga definition.</param>
/// <param name="Version">Its version.</param>
/// <param name="State">Its state as last recorded.</param>
/// <param name="Code">The error code, when it failed or was cancelled.</param>
/// <param name="ErrorKind">Who was at fault, when it failed.</param>
/// <param name="Message">The error message, when it failed.</param>
/// <param name="Step">The step that failed, if one did.</param>
public sealed record SagaNodeProperties(
    string Definition,
    int Version,
    SagaState State,
    string? Code = null,
    ErrorKind? ErrorKind = null,
    string? Message = null,
    string? Step = null)
{
    private static readonly JsonSerializerOptions Options = new(SymphainyJson.Options) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The properties as the JSON stored on the node.</summary>
    public JsonElement ToJson() => JsonSerializer.SerializeToElement(this, Options);

    /// <summary>Writes the properties as the JSON stored on the node (what <see cref="ToJson"/> returns) to <paramref name="writer"/>.</summary>
    /// <param name="writer">Where the JSON goes, for writers that build many nodes' properties in one buffer.</param>
    public void WriteTo(Utf8JsonWriter writer) => JsonSerializer.Serialize(writer, this, Options);

    /// <summary>Reads the properties of a saga node; null when they are not a saga node's.</summary>
    /// <param name="properties">A node's properties.</param>
    public static SagaNodeProperties? FromJson(JsonElement? properties)
    {
        if (properties is not { ValueKind: JsonValueKind.Object } json)
        {
            return null;
        }

        try
        {
            return json.Deserialize<SagaNodeProperties>(Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

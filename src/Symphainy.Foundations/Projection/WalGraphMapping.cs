using System.Text.Json;
using Symphainy.Sagas;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Projection;

/// <summary>
/// How a log record (decoded by <see cref="WalPayloadCodec"/>) becomes graph nodes and lineage edges (cause to effect):
/// session <c>submitted</c> intent, intent <c>started</c> saga, saga <c>ran</c> step, step <c>produced</c> fact
/// (a step's result) or artifact (an agent's output, a saga's output). Node ids and saga node properties follow
/// <see cref="ExecutionGraph"/> and <see cref="SagaNodeProperties"/>, which the Runtime reads ended sagas back
/// through. A node's time is its record's time, so a rebuild gives the same graph.
/// </summary>
/// <remarks>
/// Properties are written straight to the batch's JSON writer, with the names and order the anonymous objects of
/// earlier versions had; JSON values from the log (step results, outputs) are checked, then copied as they are.
/// </remarks>
internal static class WalGraphMapping
{
    /// <summary>Adds the nodes and edges of <paramref name="record"/> to <paramref name="batch"/>.</summary>
    /// <param name="record">A log record.</param>
    /// <param name="batch">The batch; a later node with the same id replaces an earlier one.</param>
    /// <exception cref="SymphainyException">The record's payload cannot be decoded.</exception>
    /// <exception cref="JsonException">A JSON value in the record is not valid JSON.</exception>
    public static void Map(WalRecord record, ProjectionBatch batch)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(batch);
        var tenant = record.Tenant;
        var at = record.Timestamp;
        Utf8JsonWriter json;
        switch (WalPayloadCodec.Decode(record))
        {
            case SessionPayload session when record.Session is { } id:
                json = batch.Properties();
                json.WriteStartObject();
                json.WriteString("state"u8, session.EndedAt is null ? "open"u8 : "ended"u8);
                json.WriteNumber("position"u8, record.Position);
                json.WriteEndObject();
                batch.Node(tenant, id.ToString(), GraphNodeKind.Session, at);
                break;
            case IntentReceivedPayload intent when record.Intent is { } intentId:
                var intentNode = intentId.ToString();
                json = batch.Properties();
                json.WriteStartObject();
                json.WriteString("type"u8, intent.IntentType);
                json.WriteString("definition"u8, intent.Definition);
                json.WriteNumber("version"u8, intent.Version);
                json.WriteNumber("position"u8, record.Position);
                json.WriteEndObject();
                batch.Node(tenant, intentNode, GraphNodeKind.Intent, at);
                if (record.Session is { } from)
                {
                    batch.Edge(tenant, from.ToString(), intentNode, "submitted");
                }

                if (record.Saga is { } startedSaga)
                {
                    batch.Edge(tenant, intentNode, ExecutionGraph.SagaNode(startedSaga), "started");
                }

                break;
            case SagaStartedPayload started when record.Saga is { } id:
                new SagaNodeProperties(started.Definition, started.Version, SagaState.Running).WriteTo(batch.Properties());
                batch.Node(tenant, ExecutionGraph.SagaNode(id), GraphNodeKind.Saga, at);
                break;
            case StepCompletedPayload step when record.Saga is { } id:
                var sagaNode = ExecutionGraph.SagaNode(id);
                var stepNode = ExecutionGraph.StepNode(id, step.Index);
                var result = step.Result is { } value ? ValidJson(value.Span) : default;
                json = batch.Properties();
                json.WriteStartObject();
                json.WriteString("name"u8, step.Name);
                json.WriteString("kind"u8, StepKindName(step.StepKind));
                json.WriteNumber("index"u8, step.Index);
                json.WriteString("state"u8, "completed"u8);
                json.WriteEndObject();
                batch.Node(tenant, stepNode, GraphNodeKind.Step, at);
                batch.Edge(tenant, sagaNode, stepNode, "ran");
                if (step.Result is not null)
                {
                    var agent = step.StepKind == StepKind.Agent;
                    var produced = ExecutionGraph.ProducedNode(id, step.Index, agent);
                    json = batch.Properties();
                    json.WriteStartObject();
                    json.WriteString("step"u8, step.Name);
                    json.WritePropertyName("value"u8);
                    json.WriteRawValue(result, skipInputValidation: true);
                    json.WriteEndObject();
                    batch.Node(tenant, produced, agent ? GraphNodeKind.Artifact : GraphNodeKind.Fact, at);
                    batch.Edge(tenant, stepNode, produced, "produced");
                }

                break;
            case StepFailedPayload failed when record.Saga is { } id:
                var failedNode = ExecutionGraph.StepNode(id, failed.Index);
                json = batch.Properties();
                json.WriteStartObject();
                json.WriteString("name"u8, failed.Name);
                json.WriteNumber("index"u8, failed.Index);
                json.WriteString("state"u8, "failed"u8);
                json.WriteNumber("attempts"u8, failed.Attempt);
                json.WriteString("code"u8, failed.Error.Code);
                json.WriteString("message"u8, failed.Error.Message);
                json.WriteEndObject();
                batch.Node(tenant, failedNode, GraphNodeKind.Step, at);
                batch.Edge(tenant, ExecutionGraph.SagaNode(id), failedNode, "ran");
                break;
            case SagaEndedPayload ended when record.Saga is { } id:
                var endedNode = ExecutionGraph.SagaNode(id);
                var output = ended.Output is { } bytes ? ValidJson(bytes.Span) : default;
                var error = ended.Error;
                new SagaNodeProperties(ended.Definition, ended.Version, ended.State, error?.Code, error?.Kind, error?.Message, error?.Step).WriteTo(batch.Properties());
                batch.Node(tenant, endedNode, GraphNodeKind.Saga, at);
                if (ended.Output is not null)
                {
                    var outputNode = ExecutionGraph.OutputNode(id);
                    json = batch.Properties();
                    json.WriteStartObject();
                    json.WritePropertyName("value"u8);
                    json.WriteRawValue(output, skipInputValidation: true);
                    json.WriteEndObject();
                    batch.Node(tenant, outputNode, GraphNodeKind.Artifact, at);
                    batch.Edge(tenant, endedNode, outputNode, "produced");
                }

                break;
        }
    }

    /// <summary>The kind's name in lower case, as stored on step nodes.</summary>
    private static string StepKindName(StepKind kind) => kind switch
    {
        StepKind.Step => "step",
        StepKind.Agent => "agent",
        StepKind.Timer => "timer",
        StepKind.Wait => "wait",
        StepKind.Compensation => "compensation",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Checks that <paramref name="utf8"/> is one JSON value, as parsing it would, before anything of its node is
    /// written: a bad value fails the record without leaving half a node in the batch.
    /// </summary>
    private static ReadOnlySpan<byte> ValidJson(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read())
        {
            throw new JsonException("A JSON value in the log record is empty.");
        }

        reader.Skip();
        if (reader.Read())
        {
            throw new JsonException("A JSON value in the log record is followed by more data.");
        }

        return utf8;
    }
}

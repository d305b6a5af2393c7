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
internal static class WalGraphMapping
{
    /// <summary>Adds the nodes and edges of <paramref name="record"/> to <paramref name="nodes"/> and <paramref name="edges"/>.</summary>
    /// <param name="record">A log record.</param>
    /// <param name="nodes">Nodes to upsert; a later node with the same id replaces an earlier one.</param>
    /// <param name="edges">Edges to upsert.</param>
    public static void Map(WalRecord record, IDictionary<(TenantId, string), GraphNode> nodes, ICollection<GraphEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(edges);
        var tenant = record.Tenant;
        var at = record.Timestamp;
        void Node(string id, GraphNodeKind kind, JsonElement properties) => nodes[(tenant, id)] = new GraphNode(tenant, id, kind, properties, at);
        void Edge(string from, string to, string relation) => edges.Add(new GraphEdge(tenant, from, to, relation));

        var saga = record.Saga;
        switch (WalPayloadCodec.Decode(record))
        {
            case SessionPayload session when record.Session is { } id:
                Node(id.ToString(), GraphNodeKind.Session, Properties(new { state = session.EndedAt is null ? "open" : "ended", position = record.Position }));
                break;
            case IntentReceivedPayload intent when record.Intent is { } intentId:
                Node(intentId.ToString(), GraphNodeKind.Intent, Properties(new { type = intent.IntentType, definition = intent.Definition, version = intent.Version, position = record.Position }));
                if (record.Session is { } from)
                {
                    Edge(from.ToString(), intentId.ToString(), "submitted");
                }

                if (saga is { } startedSaga)
                {
                    Edge(intentId.ToString(), ExecutionGraph.SagaNode(startedSaga), "started");
                }

                break;
            case SagaStartedPayload started when saga is { } id:
                Node(ExecutionGraph.SagaNode(id), GraphNodeKind.Saga, new SagaNodeProperties(started.Definition, started.Version, SagaState.Running).ToJson());
                break;
            case StepCompletedPayload step when saga is { } id:
                var stepNode = ExecutionGraph.StepNode(id, step.Index);
                Node(stepNode, GraphNodeKind.Step, Properties(new { name = step.Name, kind = step.StepKind.ToString().ToLowerInvariant(), index = step.Index, state = "completed" }));
                Edge(ExecutionGraph.SagaNode(id), stepNode, "ran");
                if (step.Result is { } result)
                {
                    var agent = step.StepKind == StepKind.Agent;
                    var produced = ExecutionGraph.ProducedNode(id, step.Index, agent);
                    Node(produced, agent ? GraphNodeKind.Artifact : GraphNodeKind.Fact, Properties(new { step = step.Name, value = Json(result) }));
                    Edge(stepNode, produced, "produced");
                }

                break;
            case StepFailedPayload failed when saga is { } id:
                var failedNode = ExecutionGraph.StepNode(id, failed.Index);
                Node(failedNode, GraphNodeKind.Step, Properties(new { name = failed.Name, index = failed.Index, state = "failed", attempts = failed.Attempt, code = failed.Error.Code, message = failed.Error.Message }));
                Edge(ExecutionGraph.SagaNode(id), failedNode, "ran");
                break;
            case SagaEndedPayload ended when saga is { } id:
                var error = ended.Error;
                Node(ExecutionGraph.SagaNode(id), GraphNodeKind.Saga, new SagaNodeProperties(ended.Definition, ended.Version, ended.State, error?.Code, error?.Kind, error?.Message, error?.Step).ToJson());
                if (ended.Output is { } output)
                {
                    Node(ExecutionGraph.OutputNode(id), GraphNodeKind.Artifact, Properties(new { value = Json(output) }));
                    Edge(ExecutionGraph.SagaNode(id), ExecutionGraph.OutputNode(id), "produced");
                }

                break;
        }
    }

    private static JsonElement Properties<T>(T value) => JsonSerializer.SerializeToElement(value);

    private static JsonElement Json(ReadOnlyMemory<byte> utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        return document.RootElement.Clone();
    }
}

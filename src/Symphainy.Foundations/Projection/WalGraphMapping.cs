using System.Text.Json;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Projection;

/// <summary>
/// How a log record becomes graph nodes and lineage edges (cause to effect):
/// session <c>submitted</c> intent, intent <c>started</c> saga, saga <c>ran</c> step, step <c>produced</c> fact
/// (a step's result) or artifact (an agent's output, a saga's output). Node ids are the typed ids' string forms;
/// a step is <c>{saga}/step/{index}</c>, its result <c>{saga}/fact/{index}</c> or <c>{saga}/artifact/{index}</c>,
/// and a saga's output <c>{saga}/output</c>. A node's time is its record's time, so a rebuild gives the same graph.
/// </summary>
public static class WalGraphMapping
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
        void Node(string id, GraphNodeKind kind, object properties) =>
            nodes[(tenant, id)] = new GraphNode(tenant, id, kind, JsonSerializer.SerializeToElement(properties), at);
        void Edge(string from, string to, string relation) => edges.Add(new GraphEdge(tenant, from, to, relation));

        using var document = record.Payload.IsEmpty ? null : JsonDocument.Parse(record.Payload);
        var payload = document?.RootElement ?? default;
        string? Text(string name) => payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        int Number(string name) => payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0;
        JsonElement? Value(string name) => payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(name, out var p) ? p.Clone() : null;

        var saga = record.Saga?.ToString();
        switch (record.Kind)
        {
            case WalRecordKind.SessionStarted when record.Session is { } session:
                Node(session.ToString(), GraphNodeKind.Session, new { state = "open", position = record.Position });
                break;
            case WalRecordKind.SessionEnded when record.Session is { } session:
                Node(session.ToString(), GraphNodeKind.Session, new { state = "ended", position = record.Position });
                break;
            case WalRecordKind.IntentReceived when record.Intent is { } intent:
                Node(intent.ToString(), GraphNodeKind.Intent, new { type = Text("t"), definition = Text("d"), version = Number("v"), position = record.Position });
                if (record.Session is { } from)
                {
                    Edge(from.ToString(), intent.ToString(), "submitted");
                }

                if (saga is not null)
                {
                    Edge(intent.ToString(), saga, "started");
                }

                break;
            case WalRecordKind.SagaStarted when saga is not null:
                Node(saga, GraphNodeKind.Saga, new { definition = Text("d"), version = Number("v"), state = "Running" });
                break;
            case WalRecordKind.StepCompleted or WalRecordKind.AgentOutput when saga is not null:
                var index = Number("i");
                var step = $"{saga}/step/{index}";
                Node(step, GraphNodeKind.Step, new { name = Text("n"), kind = Text("k"), index, state = "completed" });
                Edge(saga, step, "ran");
                if (Value("r") is { } result)
                {
                    var agent = record.Kind == WalRecordKind.AgentOutput;
                    var produced = $"{saga}/{(agent ? "artifact" : "fact")}/{index}";
                    Node(produced, agent ? GraphNodeKind.Artifact : GraphNodeKind.Fact, new { step = Text("n"), value = result });
                    Edge(step, produced, "produced");
                }

                break;
            case WalRecordKind.StepFailed when saga is not null:
                var failed = $"{saga}/step/{Number("i")}";
                Node(failed, GraphNodeKind.Step, new { name = Text("n"), index = Number("i"), state = "failed", attempts = Number("a"), code = Text("c"), message = Text("m") });
                Edge(saga, failed, "ran");
                break;
            case WalRecordKind.SagaEnded when saga is not null:
Node(saga, GraphNodeKind.Saga, new { definition = Text("d"), version = Number("v"), state = Text("s"), code = Text("c"), message = Text("m") });
                if (Value("o") is { } output)
                {
                    Node($"{saga}/output", GraphNodeKind.Artifact, new { value = output });
                    Edge(saga, $"{saga}/output", "produced");
                }

                break;
        }
    }
}

namespace Symphainy.State;

/// <summary>
/// The Runtime's default <see cref="IStateGraph"/>: nodes and edges in thread-safe dictionaries keyed by
/// tenant. Lost when the process ends; the SQLite and ArangoDB providers keep it durably.
/// </summary>
public sealed class InMemoryStateGraph : IStateGraph
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(TenantId, string), GraphNode> _nodes = [];
    private readonly Dictionary<(TenantId, string), HashSet<GraphEdge>> _incoming = [];
    private readonly Dictionary<(TenantId, string), HashSet<GraphEdge>> _outgoing = [];

    /// <inheritdoc/>
    public ValueTask UpsertAsync(GraphBatch batch, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.Validate(batch);
        lock (_gate)
        {
            foreach (var node in batch.Nodes)
            {
                _nodes[(node.Tenant, node.Id)] = node with { Properties = node.Properties?.Clone() };
            }

            foreach (var edge in batch.Edges)
            {
                Add(_outgoing, (edge.Tenant, edge.From), edge);
                Add(_incoming, (edge.Tenant, edge.To), edge);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<GraphNode?> GetNodeAsync(TenantId tenant, string id, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(id, "node id");
        lock (_gate)
        {
            return ValueTask.FromResult(_nodes.GetValueOrDefault((tenant, id)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<GraphNode>> QueryNodesAsync(TenantId tenant, GraphNodeKind kind, int limit, string? afterId = null, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.ValidateLimit(limit);
        lock (_gate)
        {
            IReadOnlyList<GraphNode> page = _nodes.Values
                .Where(n => n.Tenant == tenant && n.Kind == kind && (afterId is null || string.CompareOrdinal(n.Id, afterId) > 0))
                .OrderBy(n => n.Id, StringComparer.Ordinal)
                .Take(limit)
                .ToArray();
            return ValueTask.FromResult(page);
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<GraphEdge>> GetEdgesAsync(TenantId tenant, string nodeId, EdgeDirection direction, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(nodeId, "node id");
        lock (_gate)
        {
            var edges = new List<GraphEdge>();
            if (direction is EdgeDirection.Incoming or EdgeDirection.Both && _incoming.TryGetValue((tenant, nodeId), out var incoming))
            {
                edges.AddRange(incoming);
            }

            if (direction is EdgeDirection.Outgoing or EdgeDirection.Both && _outgoing.TryGetValue((tenant, nodeId), out var outgoing))
            {
                edges.AddRange(outgoing);
            }

            return ValueTask.FromResult<IReadOnlyList<GraphEdge>>(edges.Distinct().ToArray());
        }
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<LineageStep>> GetLineageAsync(TenantId tenant, string nodeId, int maxDepth = 32, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(nodeId, "node id");
        StateGraphValidation.ValidateDepth(maxDepth);
        lock (_gate)
        {
            var result = new List<LineageStep>();
            var seen = new HashSet<string>(StringComparer.Ordinal) { nodeId };
            var frontier = new List<string> { nodeId };
            for (var depth = 1; depth <= maxDepth && frontier.Count > 0; depth++)
            {
                var next = new List<string>();
                foreach (var id in frontier)
                {
                    if (!_incoming.TryGetValue((tenant, id), out var edges))
                    {
                        continue;
                    }

                    foreach (var edge in edges.OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.Relation, StringComparer.Ordinal))
                    {
                        if (seen.Add(edge.From))
                        {
                            result.Add(new LineageStep(_nodes.GetValueOrDefault((tenant, edge.From)), edge.From, depth, edge));
                            next.Add(edge.From);
                        }
                    }
                }

                frontier = next;
            }

            return ValueTask.FromResult<IReadOnlyList<LineageStep>>(result);
        }
    }

    private static void Add(Dictionary<(TenantId, string), HashSet<GraphEdge>> index, (TenantId, string) key, GraphEdge edge)
    {
        if (!index.TryGetValue(key, out var set))
        {
            index[key] = set = [];
        }

        set.Add(edge);
    }
}

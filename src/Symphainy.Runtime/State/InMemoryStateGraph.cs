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

    /// <inheritdoc/>
    public ValueTask<int> DeleteNodesAsync(TenantId tenant, IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodeIds);
        StateGraphValidation.ValidateDelete(tenant, nodeIds);

        lock (_gate)
        {
            var deleted = 0;
            foreach (var id in nodeIds)
            {
                deleted += _nodes.Remove((tenant, id)) ? 1 : 0;
                RemoveEdgesAt(tenant, id);
            }

            return ValueTask.FromResult(deleted);
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> DeleteTenantAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.ValidateDelete(tenant, null);
        lock (_gate)
        {
            var deleted = 0;
            foreach (var key in _nodes.Keys.Where(k => k.Item1 == tenant).ToArray())
            {
                deleted += _nodes.Remove(key) ? 1 : 0;
            }

            foreach (var index in new[] { _incoming, _outgoing })
            {
                foreach (var key in index.Keys.Where(k => k.Item1 == tenant).ToArray())
                {
                    index.Remove(key);
                }
            }

            return ValueTask.FromResult(deleted);
        }
    }

    /// <summary>Removes every edge at a node from both indexes.</summary>
    private void RemoveEdgesAt(TenantId tenant, string id)
    {
        if (_outgoing.Remove((tenant, id), out var outgoing))
        {
            foreach (var edge in outgoing)
            {
                Remove(_incoming, (tenant, edge.To), edge);
            }
        }

        if (_incoming.Remove((tenant, id), out var incoming))
        {
            foreach (var edge in incoming)
            {
                Remove(_outgoing, (tenant, edge.From), edge);
            }
        }
    }

    private static void Remove(Dictionary<(TenantId, string), HashSet<GraphEdge>> index, (TenantId, string) key, GraphEdge edge)
    {
        if (index.TryGetValue(key, out var set) && set.Remove(edge) && set.Count == 0)
        {
            index.Remove(key);
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

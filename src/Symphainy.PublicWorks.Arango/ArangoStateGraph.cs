using System.Text.Json;
using Symphainy.Projection;
using Symphainy.State;

namespace Symphainy.PublicWorks.Arango;

/// <summary>
/// The durable, queryable <see cref="IStateGraph"/> on ArangoDB, over its HTTP API: nodes in a document collection and
/// lineage edges in an edge collection (<c>{prefix}nodes</c>, <c>{prefix}edges</c>), persistent indexes that lead with
/// the tenant, lineage as an AQL breadth-first graph traversal, writes as batched AQL imports in one streaming
/// transaction, and the projector's checkpoint (<see cref="IProjectionCheckpoints"/>) in <c>{prefix}checkpoints</c>,
/// written in the same transaction as its batch. Every AQL query is a constant of this class with its values in bind
/// variables, and every query of nodes or edges filters by the tenant. The database, collections and indexes are
/// created on first use when missing. Thread-safe.
/// </summary>
public sealed class ArangoStateGraph : IStateGraph, IProjectionCheckpoints
{
    private const string GetNodeQuery = "FOR n IN @@nodes FILTER n._key == @key AND n.tenant == @tenant LIMIT 1 RETURN n";

    private const string PageQuery = "FOR n IN @@nodes FILTER n.tenant == @tenant AND n.kind == @kind AND n.ord > @after SORT n.ord LIMIT @limit RETURN n";

    private const string IncomingQuery = "FOR e IN @@edges FILTER e._to == @vertex AND e.tenant == @tenant RETURN e";

    private const string OutgoingQuery = "FOR e IN @@edges FILTER e._from == @vertex AND e.tenant == @tenant RETURN e";

    private const string BothQuery = "FOR e IN @@edges FILTER (e._from == @vertex OR e._to == @vertex) AND e.tenant == @tenant RETURN e";

    // Breadth-first with each vertex visited once: every ancestor appears once, at its shortest depth, reached by an
    // edge on a shortest path; cycles end the walk. Edges name vertices that may not exist (yet): v is null for them.
    // PRUNE comes before OPTIONS in AQL's traversal syntax; e is null at the start vertex, which must not be pruned.
    private const string LineageQuery = """
        FOR v, e, p IN 1..@depth INBOUND @vertex @@edges
          PRUNE e != null AND e.tenant != @tenant
          OPTIONS { order: "bfs", uniqueVertices: "global" }
          FILTER e.tenant == @tenant
          RETURN { depth: LENGTH(p.edges), from: e.from, to: e.to, relation: e.relation, node: (v != null AND v.tenant == @tenant) ? v : null }
        """;

    private const string UpsertNodesQuery = "FOR n IN @documents INSERT MERGE(n, { tenant: @tenant }) INTO @@nodes OPTIONS { overwriteMode: \"replace\" }";

    private const string InsertEdgesQuery = "FOR e IN @documents INSERT MERGE(e, { tenant: @tenant }) INTO @@edges OPTIONS { overwriteMode: \"ignore\" }";

    private const string DeleteEdgesAtQuery = "FOR e IN @@edges FILTER e.tenant == @tenant AND (e._from IN @vertices OR e._to IN @vertices) REMOVE e IN @@edges";

    private const string DeleteNodesQuery = "LET removed = (FOR n IN @@nodes FILTER n.tenant == @tenant AND n._key IN @keys REMOVE n IN @@nodes RETURN 1) RETURN LENGTH(removed)";

    private const string DeleteTenantEdgesQuery = "FOR e IN @@edges FILTER e.tenant == @tenant REMOVE e IN @@edges";

    private const string DeleteTenantNodesQuery = "LET removed = (FOR n IN @@nodes FILTER n.tenant == @tenant REMOVE n IN @@nodes RETURN 1) RETURN LENGTH(removed)";

    private const string GetCheckpointQuery = "FOR c IN @@checkpoints FILTER c._key == @key RETURN c.position";

    private const string SetCheckpointQuery = "INSERT { _key: @key, name: @name, position: @position } INTO @@checkpoints OPTIONS { overwriteMode: \"replace\" }";

    private readonly ArangoClient _client;
    private readonly ArangoSchema _schema;
    private readonly string _lineageQuery;
    private readonly Lock _gate = new();
    private Task? _ready;

    /// <summary>Creates the graph; nothing is sent to the server until the first call (or <see cref="EnsureCreatedAsync"/>).</summary>
    /// <param name="http">The HTTP client, as <c>IHttpClientFactory</c> makes it; its own timeout should be infinite (the graph keeps <see cref="ArangoOptions.RequestTimeout"/>).</param>
    /// <param name="options">The settings; validated by the host at start.</param>
    /// <param name="time">The clock of timeouts and retry delays; the system clock when null.</param>
    public ArangoStateGraph(HttpClient http, ArangoOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = new ArangoClient(http, options, time ?? TimeProvider.System);
        _schema = new ArangoSchema(options.CollectionPrefix);

        // A cluster needs the vertex collection of an anonymous traversal declared; WITH takes no bind variable, and the
        // name comes from validated configuration ([A-Za-z][A-Za-z0-9_-]*), never from a caller.
        _lineageQuery = $"WITH {_schema.Nodes}\n{LineageQuery}";
    }

    /// <summary>The database.</summary>
    public string Database => _client.Database;

    /// <summary>The node (vertex) collection.</summary>
    public string NodesCollection => _schema.Nodes;

    /// <summary>The edge collection.</summary>
    public string EdgesCollection => _schema.Edges;

    /// <summary>The projection checkpoint collection.</summary>
    public string CheckpointsCollection => _schema.Checkpoints;

    /// <summary>
    /// Creates the database, the collections and their indexes where missing (once; again after a failure). Every other
    /// call does this first; the host calls it at start so that a server it cannot use stops the start.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the creation itself goes on for other callers).</param>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                _ready = _schema.EnsureAsync(_client, CancellationToken.None);
            }

            return _ready.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The server's version, from <c>GET /_api/version</c> (the health check's question).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<string> GetServerVersionAsync(CancellationToken cancellationToken = default) => _client.GetVersionAsync(cancellationToken);

    /// <inheritdoc/>
    public async ValueTask UpsertAsync(GraphBatch batch, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.Validate(batch);
        var writes = Writes(batch);
        if (writes.Count == 0)
        {
            return;
        }

        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        if (writes.Count == 1)
        {
            // One AQL query is one transaction by itself.
            await _client.QueryAsync(writes[0].Query, writes[0].Bind, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _client.InTransactionAsync([_schema.Nodes, _schema.Edges], (trx, ct) => RunAllAsync(writes, trx, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<GraphNode?> GetNodeAsync(TenantId tenant, string id, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(id, "node id");
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var found = await _client.QueryAsync(GetNodeQuery, Bind(tenant, ("@nodes", _schema.Nodes), ("key", ArangoSchema.NodeKey(tenant, id))), null, cancellationToken).ConfigureAwait(false);
        return found.Select(n => ReadNode(tenant, n)).FirstOrDefault(n => string.Equals(n.Id, id, StringComparison.Ordinal));
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<GraphNode>> QueryNodesAsync(TenantId tenant, GraphNodeKind kind, int limit, string? afterId = null, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.ValidateLimit(limit);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var found = await _client.QueryAsync(
            PageQuery,
            Bind(tenant, ("@nodes", _schema.Nodes), ("kind", (int)kind), ("after", afterId is null ? "" : ArangoSchema.Ordinal(afterId)), ("limit", limit)),
            null,
            cancellationToken).ConfigureAwait(false);
        return found.Select(n => ReadNode(tenant, n)).ToArray();
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<GraphEdge>> GetEdgesAsync(TenantId tenant, string nodeId, EdgeDirection direction, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(nodeId, "node id");
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var query = direction switch
        {
            EdgeDirection.Incoming => IncomingQuery,
            EdgeDirection.Outgoing => OutgoingQuery,
            _ => BothQuery,
        };
        var found = await _client.QueryAsync(query, Bind(tenant, ("@edges", _schema.Edges), ("vertex", _schema.NodeHandle(tenant, nodeId))), null, cancellationToken).ConfigureAwait(false);
        return found.Select(e => ReadEdge(tenant, e)).Distinct().ToArray();
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<LineageStep>> GetLineageAsync(TenantId tenant, string nodeId, int maxDepth = 32, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(nodeId, "node id");
        StateGraphValidation.ValidateDepth(maxDepth);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var found = await _client.QueryAsync(
            _lineageQuery,
            Bind(tenant, ("@edges", _schema.Edges), ("vertex", _schema.NodeHandle(tenant, nodeId)), ("depth", maxDepth)),
            null,
            cancellationToken,
            warningsExpected: true).ConfigureAwait(false);
        return found
            .Select(s =>
            {
                var edge = ReadEdge(tenant, s);
                var node = s.TryGetProperty("node", out var n) && n.ValueKind == JsonValueKind.Object ? ReadNode(tenant, n) : null;
                return new LineageStep(node, edge.From, s.GetProperty("depth").GetInt32(), edge);
            })
            .OrderBy(s => s.Depth)
            .ThenBy(s => s.NodeId, StringComparer.Ordinal)
            .ToArray();
    }

    /// <inheritdoc/>
    public async ValueTask<int> DeleteNodesAsync(TenantId tenant, IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nodeIds);
        StateGraphValidation.ValidateDelete(tenant, nodeIds);
        var ids = nodeIds.Distinct(StringComparer.Ordinal).ToArray();
        if (ids.Length == 0)
        {
            return 0;
        }

        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await _client.InTransactionAsync(
            [_schema.Nodes, _schema.Edges],
            async (trx, ct) =>
            {
                var deleted = 0;
                foreach (var chunk in ids.Chunk(_client.BatchSize))
                {
                    await _client.QueryAsync(DeleteEdgesAtQuery, Bind(tenant, ("@edges", _schema.Edges), ("vertices", chunk.Select(id => _schema.NodeHandle(tenant, id)).ToArray())), trx, ct).ConfigureAwait(false);
                    var removed = await _client.QueryAsync(DeleteNodesQuery, Bind(tenant, ("@nodes", _schema.Nodes), ("keys", chunk.Select(id => ArangoSchema.NodeKey(tenant, id)).ToArray())), trx, ct).ConfigureAwait(false);
                    deleted += Count(removed);
                }

                return deleted;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<int> DeleteTenantAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        StateGraphValidation.ValidateDelete(tenant, null);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        return await _client.InTransactionAsync(
            [_schema.Nodes, _schema.Edges],
            async (trx, ct) =>
            {
                await _client.QueryAsync(DeleteTenantEdgesQuery, Bind(tenant, ("@edges", _schema.Edges)), trx, ct).ConfigureAwait(false);
                return Count(await _client.QueryAsync(DeleteTenantNodesQuery, Bind(tenant, ("@nodes", _schema.Nodes)), trx, ct).ConfigureAwait(false));
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projection);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var found = await _client.QueryAsync(
            GetCheckpointQuery,
            new Dictionary<string, object?> { ["@checkpoints"] = _schema.Checkpoints, ["key"] = ArangoSchema.CheckpointKey(projection) },
            null,
            cancellationToken).ConfigureAwait(false);
        return found.Count > 0 && found[0].TryGetInt64(out var position) ? position : 0;
    }

    /// <inheritdoc/>
    public async ValueTask SetCheckpointAsync(string projection, long position, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(projection);
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var (query, bind) = Checkpoint(projection, position);
        await _client.QueryAsync(query, bind, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the batch and the checkpoint in one streaming transaction, so that the database holds both or neither.
    /// When <paramref name="graph"/> is another graph, writes the batch there, then the checkpoint here.
    /// </summary>
    /// <param name="graph">This graph.</param>
    /// <param name="batch">The nodes and edges.</param>
    /// <param name="projection">The projection's name.</param>
    /// <param name="position">The last log position the batch covers.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async ValueTask UpsertWithCheckpointAsync(IStateGraph graph, GraphBatch batch, string projection, long position, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(projection);
        StateGraphValidation.Validate(batch);
        if (!ReferenceEquals(graph, this))
        {
            await graph.UpsertAsync(batch, cancellationToken).ConfigureAwait(false);
            await SetCheckpointAsync(projection, position, cancellationToken).ConfigureAwait(false);
            return;
        }

        var writes = Writes(batch);
        if (writes.Count == 0)
        {
            await SetCheckpointAsync(projection, position, cancellationToken).ConfigureAwait(false);
            return;
        }

        writes.Add(Checkpoint(projection, position));
        await EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await _client.InTransactionAsync([_schema.Nodes, _schema.Edges, _schema.Checkpoints], (trx, ct) => RunAllAsync(writes, trx, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The write queries of a batch: per tenant, its nodes then its edges, at most <see cref="ArangoOptions.BatchSize"/> documents a query.</summary>
    private List<(string Query, IReadOnlyDictionary<string, object?> Bind)> Writes(GraphBatch batch)
    {
        var writes = new List<(string, IReadOnlyDictionary<string, object?>)>();
        foreach (var group in batch.Nodes.GroupBy(n => n.Tenant))
        {
            // The last write of a node in the batch wins, as when written one by one.
            var latest = group.GroupBy(n => n.Id, StringComparer.Ordinal).Select(g => g.Last());
            foreach (var chunk in latest.Chunk(_client.BatchSize))
            {
                var documents = chunk.Select(n => new Dictionary<string, object?>
                {
                    ["_key"] = ArangoSchema.NodeKey(n.Tenant, n.Id),
                    ["id"] = n.Id,
                    ["ord"] = ArangoSchema.Ordinal(n.Id),
                    ["kind"] = (int)n.Kind,
                    ["properties"] = n.Properties,
                    ["updatedAt"] = n.UpdatedAt.UtcTicks,
                }).ToArray();
                writes.Add((UpsertNodesQuery, Bind(group.Key, ("@nodes", _schema.Nodes), ("documents", documents))));
            }
        }

        foreach (var group in batch.Edges.GroupBy(e => e.Tenant))
        {
            foreach (var chunk in group.Distinct().Chunk(_client.BatchSize))
            {
                var documents = chunk.Select(e => new Dictionary<string, object?>
                {
                    ["_key"] = ArangoSchema.EdgeKey(e.Tenant, e.From, e.To, e.Relation),
                    ["_from"] = _schema.NodeHandle(e.Tenant, e.From),
                    ["_to"] = _schema.NodeHandle(e.Tenant, e.To),
                    ["from"] = e.From,
                    ["to"] = e.To,
                    ["relation"] = e.Relation,
                }).ToArray();
                writes.Add((InsertEdgesQuery, Bind(group.Key, ("@edges", _schema.Edges), ("documents", documents))));
            }
        }

        return writes;
    }

    private (string Query, IReadOnlyDictionary<string, object?> Bind) Checkpoint(string projection, long position) =>
        (SetCheckpointQuery, new Dictionary<string, object?> { ["@checkpoints"] = _schema.Checkpoints, ["key"] = ArangoSchema.CheckpointKey(projection), ["name"] = projection, ["position"] = position });

    private async Task<bool> RunAllAsync(List<(string Query, IReadOnlyDictionary<string, object?> Bind)> writes, string transaction, CancellationToken cancellationToken)
    {
        foreach (var (query, bind) in writes)
        {
            await _client.QueryAsync(query, bind, transaction, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Bind variables with the tenant (every query of nodes or edges filters by it) and the rest.</summary>
    private static Dictionary<string, object?> Bind(TenantId tenant, params (string Name, object? Value)[] values)
    {
        var bind = new Dictionary<string, object?>(StringComparer.Ordinal) { ["tenant"] = tenant.ToString() };
        foreach (var (name, value) in values)
        {
            bind[name] = value;
        }

        return bind;
    }

    private static int Count(IReadOnlyList<JsonElement> results) => results.Count > 0 && results[0].TryGetInt32(out var count) ? count : 0;

    private static GraphNode ReadNode(TenantId tenant, JsonElement n)
    {
        try
        {
            JsonElement? properties = n.TryGetProperty("properties", out var p) && p.ValueKind != JsonValueKind.Null ? p.Clone() : null;
            return new GraphNode(tenant, n.GetProperty("id").GetString()!, (GraphNodeKind)n.GetProperty("kind").GetInt32(), properties, new DateTimeOffset(n.GetProperty("updatedAt").GetInt64(), TimeSpan.Zero));
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            throw new ArangoException(ArangoErrorCodes.BadResponse, "A node document read from ArangoDB lacks id, kind or updatedAt, or holds a value of another type: it was not written by this graph.", 0, 0, e);
        }
    }

    private static GraphEdge ReadEdge(TenantId tenant, JsonElement e)
    {
        try
        {
            return new GraphEdge(tenant, e.GetProperty("from").GetString()!, e.GetProperty("to").GetString()!, e.GetProperty("relation").GetString()!);
        }
        catch (Exception x) when (x is KeyNotFoundException or InvalidOperationException)
        {
            throw new ArangoException(ArangoErrorCodes.BadResponse, "An edge read from ArangoDB lacks from, to or relation: it was not written by this graph.", 0, 0, x);
        }
    }
}

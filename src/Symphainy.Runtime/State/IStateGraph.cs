namespace Symphainy.State;

/// <summary>
/// The durable, queryable graph of what happened: sessions, intents, sagas, steps, facts and artifacts,
/// with lineage edges from causes to effects. Every call is scoped to one tenant; a node of one tenant is
/// invisible to every other, even with the same id.
/// </summary>
public interface IStateGraph
{
    /// <summary>
    /// Writes nodes (replacing a node with the same tenant and id) and edges (idempotent) as one unit. An edge
    /// may name nodes not written yet: projections do not always arrive in order.
    /// </summary>
    /// <param name="batch">What to write; each item carries its tenant.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask UpsertAsync(GraphBatch batch, CancellationToken cancellationToken = default);

    /// <summary>Reads a node; null when the tenant has no node with that id.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="id">The node id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<GraphNode?> GetNodeAsync(TenantId tenant, string id, CancellationToken cancellationToken = default);

    /// <summary>Lists a tenant's nodes of one kind in ordinal id order, a page at a time.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="kind">The kind.</param>
    /// <param name="limit">Page size, 1 to 10,000.</param>
    /// <param name="afterId">The last id of the previous page, or null for the first page.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    ValueTask<IReadOnlyList<GraphNode>> QueryNodesAsync(TenantId tenant, GraphNodeKind kind, int limit, string? afterId = null, CancellationToken cancellationToken = default);

    /// <summary>Lists the edges at a node.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="nodeId">The node id.</param>
    /// <param name="direction">Incoming (causes), outgoing (effects) or both.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    ValueTask<IReadOnlyList<GraphEdge>> GetEdgesAsync(TenantId tenant, string nodeId, EdgeDirection direction, CancellationToken cancellationToken = default);

    /// <summary>
    /// What led to a node: its ancestors along incoming edges up to <paramref name="maxDepth"/>, each once at its
    /// shortest depth, nearest first. Cycles end the walk; they do not repeat it.
    /// </summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="nodeId">The node, such as an artifact.</param>
    /// <param name="maxDepth">How far back to go, 1 to 100.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    ValueTask<IReadOnlyList<LineageStep>> GetLineageAsync(TenantId tenant, string nodeId, int maxDepth = 32, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes nodes of one tenant and every edge at them (incoming or outgoing, whether or not the node at the other
    /// end exists), as one unit. Ids the tenant has no node for are not an error: edges at them are still deleted, so
    /// deleting the same ids again deletes nothing more. Another tenant's nodes with the same ids are untouched.
    /// </summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="nodeIds">The node ids (each 1 to 512 characters).</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>How many nodes were deleted.</returns>
    ValueTask<int> DeleteNodesAsync(TenantId tenant, IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken = default);

    /// <summary>Deletes every node and edge of one tenant, as one unit; other tenants are untouched.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>How many nodes were deleted.</returns>
    ValueTask<int> DeleteTenantAsync(TenantId tenant, CancellationToken cancellationToken = default);
}

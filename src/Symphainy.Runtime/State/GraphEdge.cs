namespace Symphainy.State;

/// <summary>
/// A directed lineage edge from a cause to its effect: intent <c>started</c> saga, saga <c>ran</c> step,
/// step <c>produced</c> artifact. Edges are unique by (tenant, from, to, relation).
/// </summary>
/// <param name="Tenant">The tenant of both nodes.</param>
/// <param name="From">The cause's node id.</param>
/// <param name="To">The effect's node id.</param>
/// <param name="Relation">What the edge means, such as <c>produced</c>.</param>
public sealed record GraphEdge(TenantId Tenant, string From, string To, string Relation);

namespace Symphainy.State;

/// <summary>One ancestor in a lineage answer.</summary>
/// <param name="Node">The ancestor node; null when an edge names a node that was never written.</param>
/// <param name="NodeId">The ancestor's id.</param>
/// <param name="Depth">1 for a direct cause, 2 for a cause of a cause, and so on (the shortest path).</param>
/// <param name="Via">The edge from this ancestor toward the node asked about, on a shortest path.</param>
public sealed record LineageStep(GraphNode? Node, string NodeId, int Depth, GraphEdge Via);

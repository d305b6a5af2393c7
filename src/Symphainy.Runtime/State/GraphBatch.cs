namespace Symphainy.State;

/// <summary>Nodes and edges written together by <see cref="IStateGraph.UpsertAsync"/>.</summary>
/// <param name="Nodes">Nodes to insert or replace.</param>
/// <param name="Edges">Edges to insert (an existing edge is left as it is).</param>
public sealed record GraphBatch(IReadOnlyList<GraphNode> Nodes, IReadOnlyList<GraphEdge> Edges)
{
    /// <summary>A batch with nodes only.</summary>
    /// <param name="nodes">The nodes.</param>
    public static GraphBatch Of(params GraphNode[] nodes) => new(nodes, []);
}

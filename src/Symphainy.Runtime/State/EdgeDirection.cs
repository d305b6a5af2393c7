namespace Symphainy.State;

/// <summary>Which edges of a node to list.</summary>
public enum EdgeDirection
{
    /// <summary>Edges that end at the node (its causes).</summary>
    Incoming,

    /// <summary>Edges that start at the node (its effects).</summary>
    Outgoing,

    /// <summary>Both.</summary>
    Both,
}

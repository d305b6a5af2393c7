namespace Symphainy.State;

/// <summary>Argument checks every <see cref="IStateGraph"/> adapter applies the same way.</summary>
public static class StateGraphValidation
{
    /// <summary>The largest page <see cref="IStateGraph.QueryNodesAsync"/> returns.</summary>
    public const int MaxPageSize = 10_000;

    /// <summary>The deepest lineage walk.</summary>
    public const int MaxLineageDepth = 100;

    /// <summary>Checks every node and edge of a batch.</summary>
    /// <param name="batch">The batch.</param>
    public static void Validate(GraphBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var node in batch.Nodes)
        {
            RequireTenant(node.Tenant);
            StateKeys.Validate(node.Id, "node id");
            if (!Enum.IsDefined(node.Kind))
            {
                throw new SymphainyException(ErrorCodes.StateInvalidArgument, $"{node.Kind} is not a graph node kind.");
            }
        }

        foreach (var edge in batch.Edges)
        {
            RequireTenant(edge.Tenant);
            StateKeys.Validate(edge.From, "edge source id");
            StateKeys.Validate(edge.To, "edge target id");
            StateKeys.Validate(edge.Relation, "edge relation");
        }
    }

    /// <summary>Checks a page size.</summary>
    /// <param name="limit">The page size.</param>
    public static void ValidateLimit(int limit)
    {
        if (limit is < 1 or > MaxPageSize)
        {
            throw new SymphainyException(ErrorCodes.StateInvalidArgument, $"A page limit must be between 1 and {MaxPageSize}; it was {limit}.");
        }
    }

    /// <summary>Checks a lineage depth.</summary>
    /// <param name="maxDepth">The depth.</param>
    public static void ValidateDepth(int maxDepth)
    {
        if (maxDepth is < 1 or > MaxLineageDepth)
        {
            throw new SymphainyException(ErrorCodes.StateInvalidArgument, $"A lineage depth must be between 1 and {MaxLineageDepth}; it was {maxDepth}.");
        }
    }

    /// <summary>Checks the arguments of a delete: a tenant, and node ids (when given) that are valid ids.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="nodeIds">The node ids, or null for a whole tenant.</param>
    public static void ValidateDelete(TenantId tenant, IReadOnlyCollection<string>? nodeIds)
    {
        RequireTenant(tenant);
        foreach (var id in nodeIds ?? [])
        {
            StateKeys.Validate(id, "node id");
        }
    }

    private static void RequireTenant(TenantId tenant)
    {
        if (tenant.Value == Guid.Empty)
        {
            throw new SymphainyException(ErrorCodes.StateInvalidArgument, "Every graph node and edge needs a tenant; default(TenantId) is not one.");
        }
    }
}

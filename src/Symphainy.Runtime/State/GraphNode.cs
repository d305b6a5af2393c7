using System.Text.Json;

namespace Symphainy.State;

/// <summary>A node of the durable state graph.</summary>
/// <param name="Tenant">The tenant it belongs to.</param>
/// <param name="Id">Its id, unique within the tenant (1 to 512 characters), such as a saga id's string form.</param>
/// <param name="Kind">What it stands for.</param>
/// <param name="Properties">Its data as JSON, or null.</param>
/// <param name="UpdatedAt">When it was last written.</param>
public sealed record GraphNode(TenantId Tenant, string Id, GraphNodeKind Kind, JsonElement? Properties, DateTimeOffset UpdatedAt);

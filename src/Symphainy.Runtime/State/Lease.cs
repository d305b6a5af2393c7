namespace Symphainy.State;

/// <summary>Exclusive, expiring ownership of a resource, such as the right to run a saga.</summary>
/// <param name="Tenant">The tenant of the resource.</param>
/// <param name="Resource">What is owned.</param>
/// <param name="Owner">Who owns it (an instance name).</param>
/// <param name="Token">
/// Fencing token: 1 for the first lease ever taken on the resource, strictly greater for each new acquisition after
/// it, so that a store or peer can refuse work from a holder whose lease was since taken over, and a holder can tell
/// whether anyone held the resource before it.
/// </param>
/// <param name="ExpiresAt">When the lease lapses unless renewed.</param>
public sealed record Lease(TenantId Tenant, string Resource, string Owner, long Token, DateTimeOffset ExpiresAt);

namespace Symphainy.State;

/// <summary>Exclusive, expiring ownership of a resource, such as the right to run a saga.</summary>
/// <param name="Tenant">The tenant of the resource.</param>
/// <param name="Resource">What is owned.</param>
/// <param name="Owner">Who owns it (an instance name).</param>
/// <param name="Token">
/// Fencing token: strictly greater for each new acquisition of the resource, so that a store or peer can
/// refuse work from a holder whose lease was since taken over.
/// </param>
/// <param name="ExpiresAt">When the lease lapses unless renewed.</param>
public sealed record Lease(TenantId Tenant, string Resource, string Owner, long Token, DateTimeOffset ExpiresAt);

namespace Symphainy.State;

/// <summary>
/// Live state of sessions, sagas and steps, leases and idempotency keys: fast, versioned, expiring.
/// Every operation is scoped to one tenant; nothing reads or lists across tenants.
/// </summary>
/// <remarks>
/// Keys are 1 to 512 characters without control characters; a bad key fails with <c>state.invalid_key</c>.
/// An expired entry or lease behaves exactly as an absent one.
/// </remarks>
public interface IHotStateStore
{
    /// <summary>Reads a key; null when absent or expired.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<HotStateEntry?> GetAsync(TenantId tenant, string key, CancellationToken cancellationToken = default);

    /// <summary>Writes a key unconditionally.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="ttl">Time to live; null keeps it until deleted.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The new version.</returns>
    ValueTask<long> SetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a key only if its current version is <paramref name="expectedVersion"/>; 0 means "only if absent",
    /// which is how idempotency keys are claimed.
    /// </summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="expectedVersion">The version the caller read, or 0 for "absent".</param>
    /// <param name="ttl">Time to live; null keeps it until deleted.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask<CompareAndSetResult> CompareAndSetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, long expectedVersion, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key, if present (and at <paramref name="expectedVersion"/> when given).</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="key">The key.</param>
    /// <param name="expectedVersion">Delete only at this version; null deletes whatever is there.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>Whether something was deleted.</returns>
    ValueTask<bool> DeleteAsync(TenantId tenant, string key, long? expectedVersion = null, CancellationToken cancellationToken = default);

    /// <summary>Takes the lease on a resource if nobody holds an unexpired one (or <paramref name="owner"/> already does).</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="resource">The resource.</param>
    /// <param name="owner">Who takes it.</param>
    /// <param name="duration">How long it lasts unless renewed.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The lease, or null when another owner holds it.</returns>
    ValueTask<Lease?> TryAcquireLeaseAsync(TenantId tenant, string resource, string owner, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease still held; null when it expired and was taken, or was released.</summary>
    /// <param name="lease">The lease held.</param>
    /// <param name="duration">The new duration from now.</param>
    /// <param name="cancellationToken">Cancels the renewal.</param>
    ValueTask<Lease?> RenewLeaseAsync(Lease lease, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Gives a lease up; false when it was no longer held.</summary>
    /// <param name="lease">The lease held.</param>
    /// <param name="cancellationToken">Cancels the release.</param>
    ValueTask<bool> ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default);
}

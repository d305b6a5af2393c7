namespace Symphainy.Sessions;

/// <summary>Creates, finds, keeps alive and ends sessions. Every call is scoped to one tenant.</summary>
public interface ISessionRegistry
{
    /// <summary>Starts a session and records <c>SessionStarted</c> in the write-ahead log.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="ttl">How long it lives untouched; <c>Symphainy:Sessions:DefaultTtl</c> when null, at most <c>MaxTtl</c>.</param>
    /// <param name="attributes">Host-defined attributes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Session> CreateAsync(TenantId tenant, TimeSpan? ttl = null, IReadOnlyDictionary<string, string>? attributes = null, CancellationToken cancellationToken = default);

    /// <summary>Finds a session of the tenant, open or ended; null when absent, expired, or another tenant's.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="id">The session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Session?> GetAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default);

    /// <summary>Finds an open session or throws <c>session.not_found</c> or <c>session.ended</c>.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="id">The session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<Session> GetOpenAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default);

    /// <summary>Extends an open session's life by its time to live from now (sliding expiry).</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="id">The session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session with its new expiry; throws as <see cref="GetOpenAsync"/> does.</returns>
    ValueTask<Session> TouchAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default);

    /// <summary>Ends a session and records <c>SessionEnded</c>; false when it was absent or already ended.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="id">The session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<bool> EndAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default);
}

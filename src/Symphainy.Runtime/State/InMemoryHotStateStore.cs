namespace Symphainy.State;

/// <summary>
/// The Runtime's default <see cref="IHotStateStore"/>: a thread-safe dictionary keyed by tenant and key.
/// Expiry follows the injected <see cref="TimeProvider"/>; expired entries are dropped when touched.
/// State is lost when the process ends; use a durable provider for more than one process.
/// </summary>
public sealed class InMemoryHotStateStore : IHotStateStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(TenantId Tenant, string Key), Slot> _entries = [];
    private readonly Dictionary<(TenantId Tenant, string Resource), Lease> _leases = [];
    private readonly Dictionary<(TenantId Tenant, string Resource), long> _fencing = [];
    private readonly TimeProvider _time;

    /// <summary>Creates an empty store.</summary>
    /// <param name="time">The clock that decides expiry.</param>
    public InMemoryHotStateStore(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <inheritdoc/>
    public ValueTask<HotStateEntry?> GetAsync(TenantId tenant, string key, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        lock (_gate)
        {
            var slot = Live(tenant, key);
            return ValueTask.FromResult(slot is null ? null : new HotStateEntry(key, slot.Value, slot.Version, slot.ExpiresAt));
        }
    }

    /// <inheritdoc/>
    public ValueTask<long> SetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        StateKeys.ValidatePositive(ttl, "A time to live");
        lock (_gate)
        {
            return ValueTask.FromResult(Write(tenant, key, value, ttl, Live(tenant, key)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<CompareAndSetResult> CompareAndSetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, long expectedVersion, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        StateKeys.ValidatePositive(ttl, "A time to live");
        lock (_gate)
        {
            var slot = Live(tenant, key);
            var current = slot?.Version ?? 0;
            return ValueTask.FromResult(current != expectedVersion
                ? new CompareAndSetResult(false, current)
                : new CompareAndSetResult(true, Write(tenant, key, value, ttl, slot)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> DeleteAsync(TenantId tenant, string key, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        lock (_gate)
        {
            var slot = Live(tenant, key);
            if (slot is null || (expectedVersion is { } expected && slot.Version != expected))
            {
                return ValueTask.FromResult(false);
            }

            _entries.Remove((tenant, key));
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc/>
    public ValueTask<Lease?> TryAcquireLeaseAsync(TenantId tenant, string resource, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(resource, "lease resource");
        StateKeys.Validate(owner, "lease owner");
        StateKeys.ValidatePositive(duration, "A lease duration");
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var held = LiveLease(tenant, resource, now);
            if (held is not null && held.Owner != owner)
            {
                return ValueTask.FromResult<Lease?>(null);
            }

            var token = held?.Token ?? NextToken(tenant, resource);
            var lease = new Lease(tenant, resource, owner, token, now + duration);
            _leases[(tenant, resource)] = lease;
            return ValueTask.FromResult<Lease?>(lease);
        }
    }

    /// <inheritdoc/>
    public ValueTask<Lease?> RenewLeaseAsync(Lease lease, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StateKeys.ValidatePositive(duration, "A lease duration");
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var held = LiveLease(lease.Tenant, lease.Resource, now);
            if (held is null || held.Owner != lease.Owner || held.Token != lease.Token)
            {
                return ValueTask.FromResult<Lease?>(null);
            }

            var renewed = held with { ExpiresAt = now + duration };
            _leases[(lease.Tenant, lease.Resource)] = renewed;
            return ValueTask.FromResult<Lease?>(renewed);
        }
    }

    /// <inheritdoc/>
    public ValueTask<bool> ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            var held = LiveLease(lease.Tenant, lease.Resource, _time.GetUtcNow());
            if (held is null || held.Owner != lease.Owner || held.Token != lease.Token)
            {
                return ValueTask.FromResult(false);
            }

            _leases.Remove((lease.Tenant, lease.Resource));
            return ValueTask.FromResult(true);
        }
    }

    private Slot? Live(TenantId tenant, string key)
    {
        if (!_entries.TryGetValue((tenant, key), out var slot))
        {
            return null;
        }

        if (slot.ExpiresAt is { } expires && expires <= _time.GetUtcNow())
        {
            _entries.Remove((tenant, key));
            return null;
        }

        return slot;
    }

    private long Write(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl, Slot? previous)
    {
        var version = (previous?.Version ?? 0) + 1;
        _entries[(tenant, key)] = new Slot(value.ToArray(), version, ttl is { } t ? _time.GetUtcNow() + t : null);
        return version;
    }

    private Lease? LiveLease(TenantId tenant, string resource, DateTimeOffset now)
    {
        if (_leases.TryGetValue((tenant, resource), out var lease) && lease.ExpiresAt > now)
        {
            return lease;
        }

        _leases.Remove((tenant, resource));
        return null;
    }

    private long NextToken(TenantId tenant, string resource)
    {
        var token = _fencing.GetValueOrDefault((tenant, resource)) + 1;
        _fencing[(tenant, resource)] = token;
        return token;
    }

    private sealed record Slot(byte[] Value, long Version, DateTimeOffset? ExpiresAt);
}

using StackExchange.Redis;
using Symphainy.State;

namespace Symphainy.PublicWorks.Redis;

/// <summary>
/// <see cref="IHotStateStore"/> on Redis: each value a hash (value, version, deadline) under a tenant-prefixed key,
/// every read-modify-write one Lua script, so compare-and-set and leases are atomic on the server and shared by every
/// host. Expiry is judged by the host's <see cref="TimeProvider"/>, whose deadline is stored with the value; Redis's
/// own expiry (the deadline plus <see cref="RedisOptions.ExpiryGrace"/>) only collects what nobody reads again.
/// Lease tokens come from a per-resource counter that never expires, so they only ever grow.
/// </summary>
public sealed class RedisHotStateStore : IHotStateStore
{
    // Live version of KEYS[1] at ARGV now: 0 when absent or past its deadline (and then it is deleted).
    private const string LiveVersion = """
        local function live(key, now)
          local fields = redis.call('HMGET', key, 'ver', 'exp')
          if not fields[1] then return 0 end
          if fields[2] and tonumber(fields[2]) <= now then
            redis.call('DEL', key)
            return 0
          end
          return tonumber(fields[1])
        end
        local function write(key, value, version, deadline, collectAfter)
          redis.call('DEL', key)
          redis.call('HSET', key, 'v', value, 'ver', version)
          if deadline ~= '' then
            redis.call('HSET', key, 'exp', deadline)
            redis.call('PEXPIRE', key, collectAfter)
          end
        end
        """;

    private const string GetScript = """
        local fields = redis.call('HMGET', KEYS[1], 'v', 'ver', 'exp')
        if not fields[2] then return nil end
        if fields[3] and tonumber(fields[3]) <= tonumber(ARGV[1]) then
          redis.call('DEL', KEYS[1])
          return nil
        end
        return fields
        """;

    // ARGV: value, now, deadline ('' for none), collect-after ms, expected version ('' for an unconditional set).
    private const string SetScript = LiveVersion + "\n" + """
        local current = live(KEYS[1], tonumber(ARGV[2]))
        if ARGV[5] ~= '' and current ~= tonumber(ARGV[5]) then return {0, current} end
        write(KEYS[1], ARGV[1], current + 1, ARGV[3], ARGV[4])
        return {1, current + 1}
        """;

    // ARGV: now, expected version ('' for any).
    private const string DeleteScript = LiveVersion + "\n" + """
        local current = live(KEYS[1], tonumber(ARGV[1]))
        if current == 0 then return 0 end
        if ARGV[2] ~= '' and current ~= tonumber(ARGV[2]) then return 0 end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    // KEYS: lease, fence. ARGV: owner, now, deadline, collect-after ms. Returns {token, deadline} or nil.
    private const string AcquireScript = """
        local held = redis.call('HMGET', KEYS[1], 'owner', 'token', 'exp')
        local token
        if held[1] and tonumber(held[3]) > tonumber(ARGV[2]) then
          if held[1] ~= ARGV[1] then return nil end
          token = tonumber(held[2])
        else
          token = redis.call('INCR', KEYS[2])
        end
        redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token, 'exp', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return token
        """;

    // KEYS: lease. ARGV: owner, token, now, new deadline ('' to release), collect-after ms. Returns 1 or 0.
    private const string RenewOrReleaseScript = """
        local held = redis.call('HMGET', KEYS[1], 'owner', 'token', 'exp')
        if not held[1] or held[1] ~= ARGV[1] or held[2] ~= ARGV[2] or tonumber(held[3]) <= tonumber(ARGV[3]) then return 0 end
        if ARGV[4] == '' then
          redis.call('DEL', KEYS[1])
        else
          redis.call('HSET', KEYS[1], 'exp', ARGV[4])
          redis.call('PEXPIRE', KEYS[1], ARGV[5])
        end
        return 1
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;

    /// <summary>Creates the store on a connection.</summary>
    /// <param name="redis">The shared connection.</param>
    /// <param name="keyPrefix">What every key starts with (<see cref="RedisOptions.KeyPrefix"/>).</param>
    /// <param name="time">The clock that judges expiry and lease validity.</param>
    /// <param name="expiryGrace">How long Redis keeps a value past its deadline before collecting it.</param>
    public RedisHotStateStore(IConnectionMultiplexer redis, string keyPrefix, TimeProvider time, TimeSpan expiryGrace)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        ArgumentNullException.ThrowIfNull(time);
        _redis = redis;
        _keys = new RedisKeys(keyPrefix);
        _time = time;
        _grace = expiryGrace;
    }

    private IDatabase Db => _redis.GetDatabase();

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc/>
    public async ValueTask<HotStateEntry?> GetAsync(TenantId tenant, string key, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        cancellationToken.ThrowIfCancellationRequested();
        var result = await RedisCalls.RunAsync(() => Db.ScriptEvaluateAsync(GetScript, [_keys.Value(tenant, key)], [Now]), "reading hot state").ConfigureAwait(false);
        if (result.IsNull)
        {
            return null;
        }

        var fields = (RedisValue[])result!;
        DateTimeOffset? expires = fields[2].IsNull ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)fields[2]);
        return new HotStateEntry(key, (byte[])fields[0]!, (long)fields[1], expires);
    }

    /// <inheritdoc/>
    public async ValueTask<long> SetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        (await WriteAsync(tenant, key, value, ttl, expected: null, cancellationToken).ConfigureAwait(false)).CurrentVersion;

    /// <inheritdoc/>
    public ValueTask<CompareAndSetResult> CompareAndSetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, long expectedVersion, TimeSpan? ttl = null, CancellationToken cancellationToken = default) =>
        WriteAsync(tenant, key, value, ttl, expectedVersion, cancellationToken);

    /// <inheritdoc/>
    public async ValueTask<bool> DeleteAsync(TenantId tenant, string key, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(key);
        cancellationToken.ThrowIfCancellationRequested();
        var result = await RedisCalls.RunAsync(
            () => Db.ScriptEvaluateAsync(DeleteScript, [_keys.Value(tenant, key)], [Now, expectedVersion is { } v ? v : ""]), "deleting hot state").ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<Lease?> TryAcquireLeaseAsync(TenantId tenant, string resource, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        StateKeys.Validate(resource, "lease resource");
        StateKeys.Validate(owner, "lease owner");
        StateKeys.ValidatePositive(duration, "A lease duration");
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        var deadline = now + duration;
        var result = await RedisCalls.RunAsync(
            () => Db.ScriptEvaluateAsync(AcquireScript, [_keys.Lease(tenant, resource), _keys.Fence(tenant, resource)],
                [owner, now.ToUnixTimeMilliseconds(), deadline.ToUnixTimeMilliseconds(), CollectAfter(duration)]), "acquiring a lease").ConfigureAwait(false);
        return result.IsNull ? null : new Lease(tenant, resource, owner, (long)result, Truncate(deadline));
    }

    /// <inheritdoc/>
    public async ValueTask<Lease?> RenewLeaseAsync(Lease lease, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StateKeys.ValidatePositive(duration, "A lease duration");
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        var deadline = now + duration;
        var renewed = await RenewOrReleaseAsync(lease, now, deadline.ToUnixTimeMilliseconds(), CollectAfter(duration), "renewing a lease").ConfigureAwait(false);
        return renewed ? lease with { ExpiresAt = Truncate(deadline) } : null;
    }

    /// <inheritdoc/>
    public ValueTask<bool> ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        cancellationToken.ThrowIfCancellationRequested();
        return RenewOrReleaseAsync(lease, _time.GetUtcNow(), "", 0, "releasing a lease");
    }

    private async ValueTask<bool> RenewOrReleaseAsync(Lease lease, DateTimeOffset now, RedisValue deadline, long collectAfter, string what)
    {
        var result = await RedisCalls.RunAsync(
            () => Db.ScriptEvaluateAsync(RenewOrReleaseScript, [_keys.Lease(lease.Tenant, lease.Resource)],
                [lease.Owner, lease.Token, now.ToUnixTimeMilliseconds(), deadline, collectAfter]), what).ConfigureAwait(false);
        return (long)result == 1;
    }

    private async ValueTask<CompareAndSetResult> WriteAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl, long? expected, CancellationToken cancellationToken)
    {
        StateKeys.Validate(key);
        StateKeys.ValidatePositive(ttl, "A time to live");
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        RedisValue deadline = ttl is { } t ? (now + t).ToUnixTimeMilliseconds() : "";
        var result = await RedisCalls.RunAsync(
            () => Db.ScriptEvaluateAsync(SetScript, [_keys.Value(tenant, key)],
                [value, now.ToUnixTimeMilliseconds(), deadline, ttl is { } d ? CollectAfter(d) : 0, expected is { } e ? e : ""]), "writing hot state").ConfigureAwait(false);
        var answer = (RedisValue[])result!;
        return new CompareAndSetResult((long)answer[0] == 1, (long)answer[1]);
    }

    // Redis forgets a key this long after it was written: its life on the host's clock plus the grace.
    private long CollectAfter(TimeSpan life) => (long)(life + _grace).TotalMilliseconds;

    // Deadlines are stored in milliseconds; a lease reports the one that is stored.
    private static DateTimeOffset Truncate(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
}

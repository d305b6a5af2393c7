using StackExchange.Redis;
using Symphainy.Wal;

namespace Symphainy.PublicWorks.Redis;

/// <summary>
/// <see cref="ISagaWorkDistribution"/> on Redis streams and one consumer group (<c>sagas</c>) per stream. Each host
/// that runs sagas has a stream of its own: the log's append script queues there every intent that host records
/// (entry id <c>0-position</c>), and the host starts those sagas itself. A host that runs none queues its intents on
/// the shared stream <c>work:any</c>, from which the running hosts take them with <c>XREADGROUP</c>. Members renew a
/// deadline in a hash; once a member's lapses, the others take over, in one script each round, the entries pending at
/// it in any stream (<c>XPENDING</c> + <c>XCLAIM</c>) and the entries of its own stream nobody was handed yet
/// (<c>XREADGROUP</c>). A saga's entry is removed (<c>XACK</c> + <c>XDEL</c>) once its end is recorded, and a dead
/// member's stream and name once it is empty.
/// </summary>
public sealed class RedisSagaWorkDistribution : ISagaWorkDistribution
{
    /// <summary>The consumer group of every work stream.</summary>
    internal const string Group = "sagas";

    /// <summary>
    /// Lua shared by the work scripts and the log's append script: the one shape of a work entry handed out
    /// ({stream, id, tenant, saga, intent record}, read back by <see cref="Parse"/>), and removing a done entry.
    /// </summary>
    internal const string WorkFunctions = $$"""
        local function work_entry(stream, e, log)
          local record = redis.call('XRANGE', log, e[1], e[1])[1]
          return {stream, e[1], e[2][2], e[2][4], record and record[2][2] or ''}
        end
        local function complete_work(stream, id)
          redis.call('XACK', stream, '{{Group}}', id)
          return redis.call('XDEL', stream, id)
        end

        """;

    // KEYS: any, log. ARGV: member, count.
    private const string TakeScript = WorkFunctions + $$"""
        local got = redis.call('XREADGROUP', 'GROUP', '{{Group}}', ARGV[1], 'COUNT', ARGV[2], 'STREAMS', KEYS[1], '>')
        local out = {}
        if not got then return out end
        for _, e in ipairs(got[1][2]) do
          out[#out + 1] = work_entry(KEYS[1], e, KEYS[2])
        end
        return out
        """;

    // KEYS: members, any, log. ARGV: member, now, deadline, max, member stream prefix.
    // A consumer counts as dead when its name is not a member whose deadline is still ahead (a member that was
    // forgotten, too).
    private const string TakeOverScript = WorkFunctions + $$"""
        local group, me, now, max, prefix = '{{Group}}', ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4]), ARGV[5]
        redis.call('HSET', KEYS[1], me, ARGV[3])
        -- A member that was forgotten while it was away (paused past its deadline) gets its stream's group back.
        redis.pcall('XGROUP', 'CREATE', prefix .. me, group, '0', 'MKSTREAM')
        local members = redis.call('HGETALL', KEYS[1])
        local alive = {}
        local streams = {KEYS[2]}
        local orphaned = {}
        for i = 1, #members, 2 do
          local stream = prefix .. members[i]
          streams[#streams + 1] = stream
          if members[i] == me or tonumber(members[i + 1]) > now then
            alive[members[i]] = true
          else
            orphaned[stream] = members[i]
          end
        end
        local out = {}
        local holds = {}
        local function take(stream, entries)
          for _, e in ipairs(entries) do
            if e and e[2] then out[#out + 1] = work_entry(stream, e, KEYS[3]) end
          end
        end
        for _, stream in ipairs(streams) do
          if redis.call('EXISTS', stream) == 1 then
            local consumers = redis.pcall('XINFO', 'CONSUMERS', stream, group)
            if type(consumers) == 'table' and not consumers.err then
              for _, c in ipairs(consumers) do
                local name, pending = c[2], tonumber(c[4])
                if not alive[name] then
                  if pending == 0 then
                    redis.call('XGROUP', 'DELCONSUMER', stream, group, name)
                  else
                    holds[name] = true
                    if #out < max then
                      local ids = {}
                      for _, p in ipairs(redis.call('XPENDING', stream, group, '-', '+', max - #out, name)) do ids[#ids + 1] = p[1] end
                      if #ids > 0 then take(stream, redis.call('XCLAIM', stream, group, me, 0, unpack(ids))) end
                    end
                  end
                end
              end
            end
            if orphaned[stream] and #out < max then
              redis.pcall('XGROUP', 'CREATE', stream, group, '0')
              local got = redis.call('XREADGROUP', 'GROUP', group, me, 'COUNT', max - #out, 'STREAMS', stream, '>')
              if got then take(stream, got[1][2]) end
            end
          end
        end
        for stream, name in pairs(orphaned) do
          if not holds[name] and redis.call('XLEN', stream) == 0 then
            redis.call('DEL', stream)
            redis.call('HDEL', KEYS[1], name)
          end
        end
        return out
        """;

    // KEYS: stream. ARGV: id.
    private const string CompleteScript = WorkFunctions + """
        return complete_work(KEYS[1], ARGV[1])
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;
    private readonly TimeProvider _time;
    private readonly WakeSignal _queued = new();
    private string? _member;
    private TimeSpan _membership;

    /// <summary>Creates the distribution on a connection.</summary>
    /// <param name="redis">The shared connection.</param>
    /// <param name="keyPrefix">What every key starts with (<see cref="RedisOptions.KeyPrefix"/>).</param>
    /// <param name="time">The clock that judges memberships.</param>
    public RedisSagaWorkDistribution(IConnectionMultiplexer redis, string keyPrefix, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        ArgumentNullException.ThrowIfNull(time);
        _redis = redis;
        _keys = new RedisKeys(keyPrefix);
        _time = time;
    }

    /// <summary>The stream this host's intents are queued on; null until it joined.</summary>
    internal RedisKey? Route { get; private set; }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc/>
    public async ValueTask JoinAsync(string member, bool runsSagas, TimeSpan membership, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(member);
        Symphainy.State.StateKeys.ValidatePositive(membership, "A membership");
        cancellationToken.ThrowIfCancellationRequested();
        var own = _keys.WorkOf(member);
        await CreateGroupAsync(_keys.WorkAny).ConfigureAwait(false);
        if (runsSagas)
        {
            await CreateGroupAsync(own).ConfigureAwait(false);
            var queue = await RedisCalls.RunAsync(() => _redis.GetSubscriber().SubscribeAsync(_keys.WorkAnyTail), "following the work queue").ConfigureAwait(false);
            queue.OnMessage(_ => _queued.Pulse());
        }

        _member = member;
        _membership = membership;
        await RedisCalls.RunAsync(() => Db.HashSetAsync(_keys.WorkMembers, member, Deadline()), "joining the work queue").ConfigureAwait(false);
        Route = runsSagas ? own : _keys.WorkAny;
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<SagaWork>> TakeAsync(int max, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        var member = _member ?? throw new InvalidOperationException("Join the work queue first.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var until = _time.GetUtcNow() + wait;
        while (true)
        {
            var woken = _queued.Next;

            var result = (RedisResult[])(await RedisCalls.RunAsync(
                () => Db.ScriptEvaluateAsync(TakeScript, [_keys.WorkAny, _keys.Log], [member, max]), "taking work").ConfigureAwait(false))!;
            if (result.Length > 0)
            {
                return [.. result.Select(e => Parse((RedisResult[])e!, SagaWorkOrigin.Dispatched))];
            }

            var left = until - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return [];
            }

            try
            {
                // Woken by the append script's publish; a missed message costs at most the wait.
                await woken.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return [];
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<SagaWork>> RenewAndTakeOverAsync(int max, CancellationToken cancellationToken = default)
    {
        var member = _member ?? throw new InvalidOperationException("Join the work queue first.");
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        cancellationToken.ThrowIfCancellationRequested();
        var result = (RedisResult[])(await RedisCalls.RunAsync(
            () => Db.ScriptEvaluateAsync(TakeOverScript, [_keys.WorkMembers, _keys.WorkAny, _keys.Log],
                [member, _time.GetUtcNow().ToUnixTimeMilliseconds(), Deadline(), max, _keys.WorkOfPrefix]),
            "taking over the work of hosts that left").ConfigureAwait(false))!;
        return [.. result.Select(e => Parse((RedisResult[])e!, SagaWorkOrigin.TakenOver))];
    }

    /// <inheritdoc/>
    public async ValueTask CompleteAsync(SagaWork work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var stream = StreamOf(work);
        await RedisCalls.RunAsync(() => Db.ScriptEvaluateAsync(CompleteScript, [stream], [$"0-{work.Position}"]), "completing work").ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask LeaveAsync(CancellationToken cancellationToken = default)
    {
        if (_member is not { } member)
        {
            return;
        }

        Route = null;
        await RedisCalls.RunAsync(() => Db.HashSetAsync(_keys.WorkMembers, member, 0), "leaving the work queue").ConfigureAwait(false);
    }

    /// <summary>The stream a work item is queued on.</summary>
    internal RedisKey StreamOf(SagaWork work) =>
        work.Receipt is { } receipt ? (RedisKey)receipt : _keys.WorkOf(_member ?? throw new InvalidOperationException("Join the work queue first."));

    private long Deadline() => (_time.GetUtcNow() + _membership).ToUnixTimeMilliseconds();

    private async Task CreateGroupAsync(RedisKey stream)
    {
        try
        {
            await RedisCalls.RunAsync(() => Db.ExecuteAsync("XGROUP", "CREATE", stream, Group, "0", "MKSTREAM"), "creating the work queue").ConfigureAwait(false);
        }
        catch (SymphainyException e) when (e.InnerException is RedisServerException server && server.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // It exists already.
        }
    }


    // A work entry as WorkFunctions' work_entry shapes it: {stream, id, tenant, saga, intent record or ''}.
    private static SagaWork Parse(RedisResult[] entry, SagaWorkOrigin origin)
    {
        var position = RedisKeys.Position((string)entry[1]!);
        var record = (byte[]?)entry[4];
        return new SagaWork(TenantId.Parse((string)entry[2]!), SagaId.Parse((string)entry[3]!), position, origin, (string)entry[0]!)
        {
            Intent = record is { Length: > 0 } ? RedisRecordFormat.Decode(position, record) : null,
        };
    }
}

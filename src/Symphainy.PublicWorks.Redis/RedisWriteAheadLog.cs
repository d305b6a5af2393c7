using System.Runtime.CompilerServices;
using StackExchange.Redis;
using Symphainy.Wal;

namespace Symphainy.PublicWorks.Redis;

/// <summary>
/// <see cref="IWriteAheadLog"/> on one Redis stream, shared by every host on the server. One Lua script takes the
/// next position from a counter and adds the record with the stream id <c>0-position</c>, so positions are gapless
/// and in one global order; a read is <c>XRANGE</c> from an id. A checkpoint trims the stream below it
/// (<c>XTRIM MINID</c>) and records the first kept position.
/// </summary>
/// <remarks>
/// Durability is the server's: an append completes once the server answered, which with <c>appendonly yes</c> and
/// <c>appendfsync always</c> is after the record reached its append-only file. The provider checks those settings
/// when the host starts (<see cref="RedisOptions.RequireAlwaysFsync"/>). Followers are woken by a publish on a
/// channel with every append, and poll every <see cref="PollInterval"/> besides, so a missed message (a reconnect)
/// delays them but never loses a record. <see cref="NextPosition"/> and <see cref="FirstPosition"/> are this host's
/// view: at least every position it appended, read or checkpointed.
/// </remarks>
public sealed class RedisWriteAheadLog : ISharedWriteAheadLog, IAsyncDisposable
{
    /// <summary>How often a follower looks for new records when no message woke it.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private const int PageSize = 512;

    // KEYS: the log, its counter, then the tenants' event streams, the fences' lease keys and the work stream of this
    // batch. ARGV[1]: the channel that wakes followers; ARGV[2]: events kept per tenant stream; ARGV[3]: now (the
    // writer's clock, Unix ms); then per record: record, event stream index or 0, event, lease key index or 0, owner,
    // token, work stream index or 0, tenant, saga, 1 to release the lease, completed work stream index or 0, its entry
    // id. A fenced record is written only while its lease is that owner's, with that token, unexpired. An intent record
    // is queued on the work stream (entry id 0-position) in the same script, so no intent is recorded without being
    // queued; a saga's end record gives its lease back and removes its work entry in the same script. Returns each
    // record's position, or 0 for one that was fenced off. Records, their events and their work go in one script, so
    // one write to the server's append-only file (and one fsync) covers them all.
    private const string AppendScript = RedisKeys.TrimEventsFunction + RedisSagaWorkDistribution.WorkFunctions + """
        local positions = {}
        local woken = {}
        local worked = {}
        local last = 0
        local now = tonumber(ARGV[3])
        for at = 4, #ARGV, 12 do
          local lease = tonumber(ARGV[at + 3])
          local allowed = true
          if lease > 0 then
            local held = redis.call('HMGET', KEYS[lease], 'owner', 'token', 'exp')
            allowed = held[1] == ARGV[at + 4] and held[2] == ARGV[at + 5] and held[3] and tonumber(held[3]) > now
          end
          if allowed then
            local position = redis.call('INCR', KEYS[2])
            redis.call('XADD', KEYS[1], '0-' .. position, 'r', ARGV[at])
            local stream = tonumber(ARGV[at + 1])
            if stream > 0 then
              local ok = redis.pcall('XADD', KEYS[stream], '0-' .. position, 'e', ARGV[at + 2])
              if type(ok) ~= 'table' or not ok.err then woken[stream] = position end
            end
            local work = tonumber(ARGV[at + 6])
            if work > 0 then
              redis.call('XADD', KEYS[work], '0-' .. position, 't', ARGV[at + 7], 's', ARGV[at + 8])
              worked[work] = position
            end
            if lease > 0 and ARGV[at + 9] == '1' then redis.call('DEL', KEYS[lease]) end
            local done = tonumber(ARGV[at + 10])
            if done > 0 then complete_work(KEYS[done], ARGV[at + 11]) end
            positions[#positions + 1] = position
            last = position
          else
            positions[#positions + 1] = 0
          end
        end
        if last > 0 then redis.call('PUBLISH', ARGV[1], last) end
        for stream, position in pairs(woken) do
          trim(KEYS[stream], tonumber(ARGV[2]))
          redis.call('PUBLISH', KEYS[stream] .. ':tail', position)
        end
        for stream, position in pairs(worked) do
          redis.call('PUBLISH', KEYS[stream] .. ':tail', position)
        end
        return positions
        """;

    private const int Stride = 12;
    private const int MaxBatchRecords = 512;
    private const int MaxBatchBytes = 4 * 1024 * 1024;

    // Never moves the first position back; trims below the new one. Returns the first position kept.
    private const string CheckpointScript = """
        local first = tonumber(redis.call('GET', KEYS[2]) or '1')
        local wanted = tonumber(ARGV[1])
        local next = tonumber(redis.call('GET', KEYS[3]) or '0') + 1
        if wanted > next then wanted = next end
        if wanted > first then
          redis.call('SET', KEYS[2], wanted)
          redis.call('XTRIM', KEYS[1], 'MINID', '0-' .. wanted)
          first = wanted
        end
        return first
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;
    private readonly TimeProvider _time;
    private readonly int _maxRecordBytes;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly WakeSignal _appended = new();
    private ChannelMessageQueue? _tail;
    private readonly System.Threading.Channels.Channel<Pending> _appends = System.Threading.Channels.Channel.CreateUnbounded<Pending>(new() { SingleReader = true });
    private Task? _writer;
    private long _next;  // 0 until read from the server
    private long _first; // 0 until read from the server

    /// <summary>Creates the log on a connection.</summary>
    /// <param name="redis">The shared connection.</param>
    /// <param name="keyPrefix">What every key starts with (<see cref="RedisOptions.KeyPrefix"/>).</param>
    /// <param name="time">The clock that stamps records.</param>
    /// <param name="maxRecordBytes">Largest payload accepted, as <see cref="WalOptions.MaxRecordBytes"/>.</param>
    /// <param name="writeEvents">
    /// Whether each record's execution event (<see cref="Symphainy.Events.ExecutionEventMapping"/>) is written to its
    /// tenant's event stream in the same script as the record, for a <see cref="RedisExecutionEventBus"/> on the same
    /// prefix (which then has nothing left to publish). <c>UseRedis</c> turns it on.
    /// </param>
    /// <param name="eventsKeptPerTenant">Events kept per tenant stream when <paramref name="writeEvents"/> is on.</param>
    /// <param name="trimOnCheckpoint">
    /// Whether a checkpoint removes records (true), or only reports the first position kept (false). A checkpoint is
    /// one host's view of what it still needs, so with several hosts on one log only false is safe (see
    /// <see cref="RedisOptions.TrimLog"/>).
    /// </param>
    public RedisWriteAheadLog(IConnectionMultiplexer redis, string keyPrefix, TimeProvider time, int maxRecordBytes = 4 * 1024 * 1024, bool writeEvents = false, int eventsKeptPerTenant = 100_000, bool trimOnCheckpoint = true)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        ArgumentNullException.ThrowIfNull(time);
        _redis = redis;
        _keys = new RedisKeys(keyPrefix);
        _time = time;
        _maxRecordBytes = maxRecordBytes;
        KeyPrefix = keyPrefix;
        WritesEvents = writeEvents;
        _trim = trimOnCheckpoint;
        Leases = new RedisHotStateStore(redis, keyPrefix, time, TimeSpan.FromMinutes(1));
        Work = new RedisSagaWorkDistribution(redis, keyPrefix, time);
        _eventsKept = eventsKeptPerTenant;
    }

    private readonly int _eventsKept;
    private readonly bool _trim;

    /// <inheritdoc/>
    /// <remarks>The hot state store on this log's prefix: the append script checks fences against its leases.</remarks>
    public Symphainy.State.IHotStateStore Leases { get; }

    /// <inheritdoc cref="ISharedWriteAheadLog.Work"/>
    /// <remarks>
    /// Consumer groups on Redis streams: once this host joined, every intent record it appends is queued in the same
    /// script (see <see cref="RedisSagaWorkDistribution"/>).
    /// </remarks>
    public RedisSagaWorkDistribution Work { get; }

    ISagaWorkDistribution ISharedWriteAheadLog.Work => Work;

    /// <summary>What every key of this log starts with.</summary>
    public string KeyPrefix { get; }

    /// <summary>Whether records' execution events are written with them (see the constructor).</summary>
    public bool WritesEvents { get; }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc/>
    public long NextPosition
    {
        get
        {
            if (Volatile.Read(ref _next) == 0)
            {
                var last = Call(() => (long?)Db.StringGet(_keys.LogSequence) ?? 0, "reading the log's end");
                Advance(ref _next, last + 1);
            }

            return Volatile.Read(ref _next);
        }
    }

    /// <inheritdoc/>
    public long FirstPosition
    {
        get
        {
            if (Volatile.Read(ref _first) == 0)
            {
                var first = Call(() => (long?)Db.StringGet(_keys.LogFirst) ?? 1, "reading the log's start");
                Advance(ref _first, first);
            }

            return Volatile.Read(ref _first);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Appends that arrive while a batch is on its way to the server go together in the next one: one script call,
    /// one round trip and one wake-up for up to 512 records, in the order they were appended.
    /// </remarks>
    public async ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
    {
        entry.Validate(_maxRecordBytes, checksFences: true);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        cancellationToken.ThrowIfCancellationRequested();
        var now = _time.GetUtcNow();
        var pending = new Pending(RedisRecordFormat.Encode(entry, now)) { Fence = entry.Fence, ReleasesFence = entry.ReleasesFence, CompletesWork = entry.CompletesWork };
        if (entry.Kind == WalRecordKind.IntentReceived && Work.Route is not null && entry.Saga is { } saga)
        {
            pending.Work = saga;
            pending.Tenant = entry.Tenant;
        }

        if (WritesEvents
            && Symphainy.Events.ExecutionEventMapping.FromRecord(new WalRecord(0, now, entry.Kind, entry.Tenant, entry.Payload, entry.Session, entry.Saga, entry.Intent)) is { } executionEvent)
        {
            // Its position is the record's, given by the server: the event's stream id carries it.
            pending.Tenant = entry.Tenant;
            pending.Event = RedisExecutionEventBus.Encode(executionEvent);
        }

        EnsureWriter();
        ObjectDisposedException.ThrowIf(!_appends.Writer.TryWrite(pending), this);

        // Not cancellable once queued: the caller's token only stops the wait, as the contract says.
        return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void EnsureWriter()
    {
        if (Volatile.Read(ref _writer) is null)
        {
            lock (_gate)
            {
                _writer ??= WriteAsync();
            }
        }
    }

    private async Task WriteAsync()
    {
        await Task.Yield();
        var streams = new Dictionary<TenantId, int>();
        var leases = new Dictionary<(TenantId, string), int>();
        var reader = _appends.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Everything appended while the previous batch was on its way goes in this one. (Two batches on their
            // way at once measured no faster: the server syncs its file once per round either way.)
            var batch = new List<Pending>();
            var bytes = 0;
            while (batch.Count < MaxBatchRecords && bytes < MaxBatchBytes && reader.TryRead(out var next))
            {
                batch.Add(next);
                bytes += next.Record.Length;
            }

            streams.Clear();
            leases.Clear();
            var keys = new List<RedisKey> { _keys.Log, _keys.LogSequence };
            var values = new RedisValue[3 + (Stride * batch.Count)];
            var completed = new Dictionary<RedisKey, int>();
            var route = Work.Route;
            var work = 0;
            values[0] = _keys.LogTail.ToString();
            values[1] = _eventsKept;
            values[2] = _time.GetUtcNow().ToUnixTimeMilliseconds();
            for (var i = 0; i < batch.Count; i++)
            {
                var pending = batch[i];
                var stream = 0;
                if (pending.Event is not null && !streams.TryGetValue(pending.Tenant, out stream))
                {
                    keys.Add(_keys.Events(pending.Tenant));
                    streams[pending.Tenant] = stream = keys.Count;
                }

                var lease = 0;
                if (pending.Fence is { } fence && !leases.TryGetValue((fence.Tenant, fence.Resource), out lease))
                {
                    keys.Add(_keys.Lease(fence.Tenant, fence.Resource));
                    leases[(fence.Tenant, fence.Resource)] = lease = keys.Count;
                }

                if (pending.Work is not null && route is { } routeKey && work == 0)
                {
                    keys.Add(routeKey);
                    work = keys.Count;
                }

                var done = 0;
                if (pending.CompletesWork is { } finished)
                {
                    var workStream = Work.StreamOf(finished);
                    if (!completed.TryGetValue(workStream, out done))
                    {
                        keys.Add(workStream);
                        completed[workStream] = done = keys.Count;
                    }
                }

                var at = 3 + (Stride * i);
                values[at] = pending.Record;
                values[at + 1] = stream;
                values[at + 2] = pending.Event ?? RedisValue.EmptyString;
                values[at + 3] = lease;
                values[at + 4] = pending.Fence?.Owner ?? RedisValue.EmptyString;
                values[at + 5] = pending.Fence?.Token ?? 0;
                values[at + 6] = pending.Work is null ? 0 : work;
                values[at + 7] = pending.Work is null ? RedisValue.EmptyString : pending.Tenant.ToString();
                values[at + 8] = pending.Work?.ToString() ?? RedisValue.EmptyString;
                values[at + 9] = pending.ReleasesFence ? 1 : 0;
                values[at + 10] = done;
                values[at + 11] = pending.CompletesWork is { } item ? $"0-{item.Position}" : RedisValue.EmptyString;
            }

            await SendAsync(batch, [.. keys], values).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(List<Pending> batch, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            var positions = (long[])(await RedisCalls.RunForLogAsync(() => Db.ScriptEvaluateAsync(AppendScript, keys, values), "appending to the log").ConfigureAwait(false))!;
            Advance(ref _next, positions.Max() + 1);
            _appended.Pulse();
            for (var i = 0; i < batch.Count; i++)
            {
                if (positions[i] > 0)
                {
                    batch[i].TrySetResult(positions[i]);
                }
                else
                {
                    var fence = batch[i].Fence!;
                    batch[i].TrySetException(new SymphainyException(ErrorCodes.WalFenced,
                        $"The record was not written: lease '{fence.Resource}' (token {fence.Token}) is no longer {fence.Owner}'s; it expired or was taken over."));
                }
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.TrySetException(e);
            }
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var next = Math.Max(1, fromPosition);
        var first = true;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (records, more) = await ReadPageAsync(next, checkTruncation: first).ConfigureAwait(false);
            first = false;
            foreach (var record in records)
            {
                yield return record;
                next = record.Position + 1;
            }

            if (!more)
            {
                yield break;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A follower outlives the server going away: while it cannot read, it tries again every
    /// <see cref="PollInterval"/> and then goes on from where it was.
    /// </remarks>
    public async IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var token = linked.Token;
        var next = Math.Max(1, fromPosition);
        var first = true;
        while (!token.IsCancellationRequested)
        {
            var woken = _appended.Next;

            List<WalRecord> records;
            bool more;
            try
            {
                await EnsureTailAsync().ConfigureAwait(false);
                (records, more) = await ReadPageAsync(next, checkTruncation: first).ConfigureAwait(false);
                first = false;
            }
            catch (SymphainyException e) when (e.Code == ErrorCodes.WalIoFailed.Code && !token.IsCancellationRequested)
            {
                (records, more) = ([], false); // the server is away: try again after the poll interval
            }

            foreach (var record in records)
            {
                token.ThrowIfCancellationRequested();
                yield return record;
                next = record.Position + 1;
            }

            if (more)
            {
                continue;
            }

            try
            {
                await woken.WaitAsync(PollInterval, _time, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Poll: a wake-up message may have been missed while the connection was re-established.
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                yield break;
            }
        }
    }

    private async Task<(List<WalRecord> Records, bool More)> ReadPageAsync(long from, bool checkTruncation)
    {
        var page = await RedisCalls.RunForLogAsync(() => Db.StreamRangeAsync(_keys.Log, $"0-{from}", "+", PageSize), "reading the log").ConfigureAwait(false);
        if (checkTruncation)
        {
            // Positions have no gaps, so a read that does not start where it asked started below what was kept.
            var startsLater = page.Length > 0 && RedisKeys.Position(page[0].Id) > from;
            if (startsLater || (page.Length == 0 && from < await ReadFirstAsync().ConfigureAwait(false)))
            {
                var kept = await ReadFirstAsync().ConfigureAwait(false);
                throw new SymphainyException(
                    ErrorCodes.WalPositionTruncated,
                    $"Position {from} was removed from the Redis log by a checkpoint; the first position kept is {kept}.");
            }
        }

        var records = new List<WalRecord>(page.Length);
        foreach (var entry in page)
        {
            var position = RedisKeys.Position(entry.Id);
            var value = entry.Values.Length == 1 && entry.Values[0].Name == "r" ? (byte[]?)entry.Values[0].Value : null;
            if (value is null)
            {
                throw new SymphainyException(ErrorCodes.WalCorruptRecord, $"The entry at position {position} of the Redis log is not a record.");
            }

            Advance(ref _next, position + 1);
            records.Add(RedisRecordFormat.Decode(position, value));
        }

        return (records, page.Length == PageSize);
    }

    /// <inheritdoc/>
    public async ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_trim)
        {
            return await ReadFirstAsync().ConfigureAwait(false);
        }

        var first = (long)await RedisCalls.RunForLogAsync(
            () => Db.ScriptEvaluateAsync(CheckpointScript, [_keys.Log, _keys.LogFirst, _keys.LogSequence], [position]), "checkpointing the log").ConfigureAwait(false);
        Advance(ref _first, first);
        return first;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        _appends.Writer.TryComplete();
        if (_writer is { } writer)
        {
            await writer.ConfigureAwait(false); // what was queued is written (or fails) before the log closes
        }

        if (_tail is { } tail)
        {
            try
            {
                await tail.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (RedisCalls.Translate(e, "unsubscribing") is not null)
            {
                // The server is gone: nothing to unsubscribe from.
            }
        }

        _appended.Pulse();
        _disposed.Dispose();
    }

    private async Task EnsureTailAsync()
    {
        if (Volatile.Read(ref _tail) is not null)
        {
            return;
        }

        var queue = await RedisCalls.RunForLogAsync(() => _redis.GetSubscriber().SubscribeAsync(_keys.LogTail), "following the log").ConfigureAwait(false);
        if (Interlocked.CompareExchange(ref _tail, queue, null) is not null)
        {
            await queue.UnsubscribeAsync().ConfigureAwait(false);
            return;
        }

        queue.OnMessage(_ => _appended.Pulse());
    }


    private async Task<long> ReadFirstAsync()
    {
        var first = (long?)await RedisCalls.RunForLogAsync(() => Db.StringGetAsync(_keys.LogFirst), "reading the log's start").ConfigureAwait(false) ?? 1;
        Advance(ref _first, first);
        return first;
    }


    private static void Advance(ref long field, long value)
    {
        long current;
        while ((current = Volatile.Read(ref field)) < value && Interlocked.CompareExchange(ref field, value, current) != current)
        {
        }
    }

    private static T Call<T>(Func<T> call, string what)
    {
        try
        {
            return call();
        }
        catch (Exception e) when (RedisCalls.Translate(e, what) is { } typed)
        {
            throw RedisCalls.ForLog(typed);
        }
    }

    /// <summary>An append waiting for its batch: the encoded record and the promise of its position.</summary>
    private sealed class Pending(byte[] record) : TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public byte[] Record { get; } = record;

        public TenantId Tenant { get; set; }

        public byte[]? Event { get; set; }

        public Symphainy.State.Lease? Fence { get; init; }

        public SagaId? Work { get; set; }

        public bool ReleasesFence { get; init; }

        public SagaWork? CompletesWork { get; init; }
    }
}

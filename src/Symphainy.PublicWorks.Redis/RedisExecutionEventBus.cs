using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using StackExchange.Redis;
using Symphainy.Events;
using Symphainy.Sagas;

namespace Symphainy.PublicWorks.Redis;

/// <summary>
/// <see cref="IExecutionEventBus"/> on Redis: each tenant's events in a stream of their own, keyed by the log position
/// the event was derived from (stream id <c>0-position</c>), so processes on other machines follow the same executions,
/// in order, and a publish of an event that is already in the stream (a second host publishing from the same shared
/// log) adds nothing. A publisher never waits for a subscriber: the stream keeps the newest
/// <see cref="RedisOptions.EventsKeptPerTenant"/> events and a slow subscriber reads them when it is ready; one that
/// falls behind what is kept ends with <c>events.invalid_position</c> rather than silently skipping events.
/// </summary>
/// <remarks>
/// <see cref="SubscribeFromAsync"/> resumes from a position (the last one a subscriber saw, plus one) after a
/// restart of either side; <see cref="SubscribeAsync"/> starts at the end of the stream when its first read runs.
/// </remarks>
public sealed class RedisExecutionEventBus : IExecutionEventBus, IAsyncDisposable
{
    private const int PageSize = 256;

    // KEYS: the tenants' streams in this batch. ARGV[1]: events kept per stream; then (key index, id, event) per event.
    // An event whose id the stream already has (or passed) is skipped: a second publisher of the same log adds nothing.
    // Each stream that got events wakes its followers once.
    private const string AddScript = RedisKeys.TrimEventsFunction + """
        local woken = {}
        for i = 2, #ARGV, 3 do
          local index = tonumber(ARGV[i])
          local ok = redis.pcall('XADD', KEYS[index], ARGV[i + 1], 'e', ARGV[i + 2])
          if type(ok) ~= 'table' or not ok.err then woken[index] = ARGV[i + 1] end
        end
        for index, id in pairs(woken) do
          trim(KEYS[index], tonumber(ARGV[1]))
          redis.call('PUBLISH', KEYS[index] .. ':tail', id)
        end
        return 1
        """;

    private const int MaxBatch = 512;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;
    private readonly TimeProvider _time;
    private readonly int _kept;
    private const int PipelineDepth = 4096;
    private readonly CancellationTokenSource _disposed = new();
    private readonly System.Threading.Channels.Channel<ExecutionEvent> _queue = System.Threading.Channels.Channel.CreateBounded<ExecutionEvent>(new System.Threading.Channels.BoundedChannelOptions(PipelineDepth) { SingleReader = true });
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _writer;
    private long _unanswered;
    private SymphainyException? _failure;

    /// <summary>Creates the bus on a connection.</summary>
    /// <param name="redis">The shared connection.</param>
    /// <param name="keyPrefix">What every key starts with (<see cref="RedisOptions.KeyPrefix"/>).</param>
    /// <param name="time">The clock that paces the subscribers' polling.</param>
    /// <param name="eventsKeptPerTenant">Events kept per tenant (<see cref="RedisOptions.EventsKeptPerTenant"/>).</param>
    /// <param name="fedByLog">
    /// Whether a <see cref="RedisWriteAheadLog"/> on the same prefix writes every record's event itself (in the same
    /// script as the record): publishing then adds nothing. <c>UseRedis</c> sets it when both are chosen.
    /// </param>
    public RedisExecutionEventBus(IConnectionMultiplexer redis, string keyPrefix, TimeProvider time, int eventsKeptPerTenant = 100_000, bool fedByLog = false)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(eventsKeptPerTenant, 1);
        _redis = redis;
        _keys = new RedisKeys(keyPrefix);
        _time = time;
        _kept = eventsKeptPerTenant;
        IsFedByLog = fedByLog;
    }

    /// <inheritdoc/>
    public bool IsFedByLog { get; }

    private IDatabase Db => _redis.GetDatabase();

    /// <inheritdoc/>
    /// <remarks>
    /// Pipelined: it returns once the event is queued while fewer than 4,096 wait for the server's answer; what was
    /// queued while one batch was on its way goes to the server as the next batch (one script call, one wake-up per
    /// tenant stream). A publish that failed is reported by the next call, or by <see cref="FlushAsync"/>. A publisher
    /// never waits for subscribers.
    /// </remarks>
    public async ValueTask PublishAsync(ExecutionEvent executionEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (executionEvent.Position < 1)
        {
            throw new SymphainyException(ErrorCodes.EventsInvalidPosition, $"An execution event needs the log position it was derived from (1 or more); it had {executionEvent.Position}.");
        }

        if (IsFedByLog)
        {
            return; // the log wrote this event with its record
        }

        if (Interlocked.Exchange(ref _failure, null) is { } failure)
        {
            throw failure;
        }

        Interlocked.Increment(ref _unanswered);
        EnsureWriter();
        try
        {
            await _queue.Writer.WriteAsync(executionEvent, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Answered(1);
            throw;
        }
    }

    /// <summary>Waits until every event published so far was answered by the server; throws the first failure among them.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Task drained;
        lock (_queue)
        {
            drained = Volatile.Read(ref _unanswered) == 0 ? Task.CompletedTask : _drained.Task;
        }

        await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _failure, null) is { } failure)
        {
            throw failure;
        }
    }

    private void EnsureWriter()
    {
        if (Volatile.Read(ref _writer) is null)
        {
            lock (_queue)
            {
                _writer ??= WriteAsync();
            }
        }
    }

    // Takes what was published while the previous batch was on its way and sends it as one script call.
    private async Task WriteAsync()
    {
        await Task.Yield();
        var reader = _queue.Reader;
        var batch = new List<ExecutionEvent>(MaxBatch);
        var streams = new Dictionary<TenantId, int>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            streams.Clear();
            var keys = new List<RedisKey>();
            var values = new RedisValue[1 + (3 * batch.Count)];
            values[0] = _kept;
            for (var i = 0; i < batch.Count; i++)
            {
                var e = batch[i];
                if (!streams.TryGetValue(e.Tenant, out var index))
                {
                    keys.Add(_keys.Events(e.Tenant));
                    streams[e.Tenant] = index = keys.Count;
                }

                values[1 + (3 * i)] = index;
                values[2 + (3 * i)] = $"0-{e.Position}";
                values[3 + (3 * i)] = Encode(e);
            }

            try
            {
                await RedisCalls.RunAsync(() => Db.ScriptEvaluateAsync(AddScript, [.. keys], values), "publishing execution events").ConfigureAwait(false);
            }
            catch (SymphainyException e)
            {
                // Reported by the next publish or flush; those events are missing from the streams (the log has them).
                Interlocked.CompareExchange(ref _failure, e, null);
            }

            Answered(batch.Count);
            batch.Clear();
        }
    }

    private void Answered(int count)
    {
        if (Interlocked.Add(ref _unanswered, -count) == 0)
        {
            lock (_queue)
            {
                if (Volatile.Read(ref _unanswered) == 0)
                {
                    _drained.TrySetResult();
                    _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ExecutionEvent> SubscribeAsync(TenantId tenant, SagaId? saga = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Attached when this first read runs: from the end of the stream as it is now.
        var last = await RedisCalls.RunAsync(() => Db.StreamRangeAsync(_keys.Events(tenant), "-", "+", 1, Order.Descending), "subscribing to execution events").ConfigureAwait(false);
        var from = last.Length == 0 ? 1 : RedisKeys.Position(last[0].Id) + 1;
        await foreach (var e in FollowAsync(tenant, saga, from, checkKept: false, cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    /// <summary>
    /// Follows a tenant's events from a log position: every kept event at or after <paramref name="fromPosition"/>,
    /// then each new one. Fails with <c>events.invalid_position</c> when events from that position were trimmed.
    /// </summary>
    /// <param name="tenant">The tenant whose events to follow.</param>
    /// <param name="fromPosition">The first log position wanted (1 or more).</param>
    /// <param name="saga">Only this saga's events, when given.</param>
    /// <param name="cancellationToken">Ends the subscription.</param>
    public IAsyncEnumerable<ExecutionEvent> SubscribeFromAsync(TenantId tenant, long fromPosition, SagaId? saga = null, CancellationToken cancellationToken = default)
    {
        if (fromPosition < 1)
        {
            throw new SymphainyException(ErrorCodes.EventsInvalidPosition, $"Execution events are followed from log position 1 or later; {fromPosition} was asked for.");
        }

        return FollowAsync(tenant, saga, fromPosition, checkKept: true, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed.IsCancellationRequested)
        {
            await _disposed.CancelAsync().ConfigureAwait(false);
            try
            {
                await FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                _queue.Writer.TryComplete();
            }
            catch (Exception e) when (e is SymphainyException or TimeoutException)
            {
                // The server is away: what was not answered is missing from the stream; the log still has it.
            }
        }
    }

    private async IAsyncEnumerable<ExecutionEvent> FollowAsync(TenantId tenant, SagaId? saga, long from, bool checkKept, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        var token = linked.Token;
        var woken = new WakeSignal();
        var channel = await RedisCalls.RunAsync(() => _redis.GetSubscriber().SubscribeAsync(_keys.EventsTail(tenant)), "subscribing to execution events").ConfigureAwait(false);
        channel.OnMessage(_ => woken.Pulse());
        try
        {
            var next = from;
            var first = true;
            while (!token.IsCancellationRequested)
            {
                var wake = woken.Next;
                var start = next;
                StreamEntry[] page;
                try
                {
                    page = await RedisCalls.RunAsync(() => Db.StreamRangeAsync(_keys.Events(tenant), $"0-{start}", "+", PageSize), "reading execution events").ConfigureAwait(false);
                    if (first && checkKept)
                    {
                        await EnsureKeptAsync(tenant, start).ConfigureAwait(false);
                    }

                    first = false;
                }
                catch (SymphainyException e) when (e.Code == RedisErrorCodes.Unavailable.Code && !token.IsCancellationRequested)
                {
                    page = []; // the server is away: a subscriber outlives it and goes on from where it was
                }

                foreach (var entry in page)
                {
                    var position = RedisKeys.Position(entry.Id);
                    next = position + 1;
                    var e = Decode(tenant, position, entry);
                    if (saga is null || e.Saga == saga)
                    {
                        token.ThrowIfCancellationRequested();
                        yield return e;
                    }
                }

                if (page.Length == PageSize)
                {
                    // Behind: make sure the stream did not trim what this subscriber has not read yet.
                    await EnsureKeptAsync(tenant, next).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    await wake.WaitAsync(RedisWriteAheadLog.PollInterval, _time, token).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Poll: a wake-up message may have been missed while the connection was re-established.
                }
            }

            token.ThrowIfCancellationRequested();
        }
        finally
        {
            try
            {
                await channel.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (RedisCalls.Translate(e, "unsubscribing") is not null)
            {
                // The server is gone: nothing to unsubscribe from.
            }

        }
    }

    private async Task EnsureKeptAsync(TenantId tenant, long from)
    {
        // A tenant's events are a subsequence of the log's positions, so a gap proves nothing. The trimming script keeps
        // beside the stream the position just below the first entry it kept: everything up to it may be gone, so a
        // resume from there is refused (a subscriber whose last event was trimmed may have missed the ones after it).
        var trimmed = (long?)await RedisCalls.RunAsync(() => Db.StringGetAsync(_keys.EventsTrimmed(tenant)), "reading execution events").ConfigureAwait(false) ?? 0;
        if (trimmed >= from)
        {
            throw new SymphainyException(ErrorCodes.EventsInvalidPosition,
                $"Execution events from log position {from} are no longer kept for this tenant (everything up to {trimmed} was trimmed); replay them from the log with ISagaEngine.WatchAsync.");
        }
    }

    internal static byte[] Encode(ExecutionEvent e)
    {
        var step = e.Step is null ? 0 : Encoding.UTF8.GetByteCount(e.Step);
        var bytes = new byte[1 + 1 + 16 + 8 + 1 + step];
        bytes[0] = (byte)e.Kind;
        bytes[1] = (byte)e.State;
        e.Saga.Value.TryWriteBytes(bytes.AsSpan(2), bigEndian: true, out _);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(18), e.Timestamp.UtcTicks);
        bytes[26] = e.Step is null ? (byte)0 : (byte)1;
        if (e.Step is not null)
        {
            Encoding.UTF8.GetBytes(e.Step, bytes.AsSpan(27));
        }

        return bytes;
    }

    private static ExecutionEvent Decode(TenantId tenant, long position, StreamEntry entry)
    {
        var bytes = entry.Values.Length == 1 && entry.Values[0].Name == "e" ? (byte[]?)entry.Values[0].Value : null;
        if (bytes is null || bytes.Length < 27)
        {
            throw new SymphainyException(ErrorCodes.WalCorruptRecord, $"The execution event at log position {position} in Redis is damaged.");
        }

        var saga = SagaId.FromGuid(new Guid(bytes.AsSpan(2, 16), bigEndian: true));
        var timestamp = new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(18)), TimeSpan.Zero);
        var step = bytes[26] == 0 ? null : Encoding.UTF8.GetString(bytes.AsSpan(27));
        return new ExecutionEvent(position, (ExecutionEventKind)bytes[0], tenant, saga, (SagaState)bytes[1], step, timestamp);
    }

}

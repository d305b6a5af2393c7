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
public sealed class RedisWriteAheadLog : IWriteAheadLog, IAsyncDisposable
{
    /// <summary>How often a follower looks for new records when no message woke it.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private const int PageSize = 512;

    private const string AppendScript = """
        local position = redis.call('INCR', KEYS[2])
        redis.call('XADD', KEYS[1], '0-' .. position, 'r', ARGV[1])
        redis.call('PUBLISH', ARGV[2], position)
        return position
        """;

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
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChannelMessageQueue? _tail;
    private long _next;  // 0 until read from the server
    private long _first; // 0 until read from the server

    /// <summary>Creates the log on a connection.</summary>
    /// <param name="redis">The shared connection.</param>
    /// <param name="keyPrefix">What every key starts with (<see cref="RedisOptions.KeyPrefix"/>).</param>
    /// <param name="time">The clock that stamps records.</param>
    /// <param name="maxRecordBytes">Largest payload accepted, as <see cref="WalOptions.MaxRecordBytes"/>.</param>
    public RedisWriteAheadLog(IConnectionMultiplexer redis, string keyPrefix, TimeProvider time, int maxRecordBytes = 4 * 1024 * 1024)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        ArgumentNullException.ThrowIfNull(time);
        _redis = redis;
        _keys = new RedisKeys(keyPrefix);
        _time = time;
        _maxRecordBytes = maxRecordBytes;
    }

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
    public async ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
    {
        entry.Validate(_maxRecordBytes);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        cancellationToken.ThrowIfCancellationRequested();
        var record = RedisRecordFormat.Encode(entry, _time.GetUtcNow());

        // Not cancellable once sent: the caller's token only stops the wait, as the contract says.
        var sent = RedisCalls.RunForLogAsync(
            () => Db.ScriptEvaluateAsync(AppendScript, [_keys.Log, _keys.LogSequence], [record, _keys.LogTail.ToString()]), "appending to the log");
        var position = (long)await sent.WaitAsync(cancellationToken).ConfigureAwait(false);
        Advance(ref _next, position + 1);
        Wake();
        return position;
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
            Task woken;
            lock (_gate)
            {
                woken = _appended.Task;
            }

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
            var startsLater = page.Length > 0 && Position(page[0].Id) > from;
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
            var position = Position(entry.Id);
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

        Wake();
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

        queue.OnMessage(_ => Wake());
    }

    private void Wake()
    {
        TaskCompletionSource woken;
        lock (_gate)
        {
            woken = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        woken.TrySetResult();
    }

    private async Task<long> ReadFirstAsync()
    {
        var first = (long?)await RedisCalls.RunForLogAsync(() => Db.StringGetAsync(_keys.LogFirst), "reading the log's start").ConfigureAwait(false) ?? 1;
        Advance(ref _first, first);
        return first;
    }

    private static long Position(RedisValue id)
    {
        var text = (string)id!;
        return long.Parse(text.AsSpan(text.IndexOf('-', StringComparison.Ordinal) + 1), System.Globalization.CultureInfo.InvariantCulture);
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
            throw new SymphainyException(ErrorCodes.WalIoFailed, $"The Redis log could not be read ({typed.Code}): {typed.Message}", typed);
        }
    }
}

using System.Runtime.CompilerServices;
using Symphainy.Wal.Internal;

namespace Symphainy.Wal;

/// <summary>
/// A write-ahead log in memory: the same contract as the file log, lost when the process ends.
/// For tests, simulations and throwaway hosts.
/// </summary>
public sealed class InMemoryWriteAheadLog : IWriteAheadLog
{
    // Records live in fixed-size chunks: retention drops whole chunks (and clears the released part of the first),
    // so nothing is moved, and dropped chunks are reused. A record object is built only when it is read.
    private const int ChunkSize = 1024;
    private const int PooledChunks = 4;
    private readonly Lock _gate = new();
    private readonly List<Stored[]> _chunks = [];
    private readonly Stack<Stored[]> _free = new();
    private readonly CommitSignal _signal = new();
    private readonly TimeProvider _time;
    private readonly int _maxRecordBytes;
    private long _chunkBase = 1;
    private long _firstPosition = 1;
    private long _nextPosition = 1;
    private DateTimeOffset _lastTimestamp;

    /// <summary>Creates an empty log.</summary>
    /// <param name="time">The clock that stamps records.</param>
    /// <param name="maxRecordBytes">Largest payload accepted, as <see cref="WalOptions.MaxRecordBytes"/>.</param>
    public InMemoryWriteAheadLog(TimeProvider time, int maxRecordBytes = 4 * 1024 * 1024)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _maxRecordBytes = maxRecordBytes;
    }

    /// <inheritdoc/>
    public long NextPosition => Interlocked.Read(ref _nextPosition);

    /// <inheritdoc/>
    public long FirstPosition => Interlocked.Read(ref _firstPosition);

    /// <inheritdoc/>
    public ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
    {
        entry.Validate(_maxRecordBytes, checksFences: false);
        cancellationToken.ThrowIfCancellationRequested();
        var stored = entry.PayloadHandedOver ? entry : entry with { Payload = entry.Payload.ToArray() };

        // Everything that can be done outside the lock is: under load on few cores a holder that is preempted
        // makes every other writer wait, so the critical section is a position, a slot and a timestamp kept in order.
        var now = _time.GetUtcNow();
        long position;
        lock (_gate)
        {
            position = _nextPosition;
            var offset = position - _chunkBase;
            var chunk = (int)(offset / ChunkSize);
            if (chunk == _chunks.Count)
            {
                _chunks.Add(_free.Count > 0 ? _free.Pop() : new Stored[ChunkSize]);
            }

            if (now < _lastTimestamp)
            {
                now = _lastTimestamp;
            }

            _lastTimestamp = now;
            _chunks[chunk][offset % ChunkSize] = new Stored(stored, now);
            Volatile.Write(ref _nextPosition, position + 1);
        }

        _signal.Pulse();
        return ValueTask.FromResult(position);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Stored[] snapshot;
        long first;
        lock (_gate)
        {
            if (fromPosition < _firstPosition)
            {
                throw new SymphainyException(
                    ErrorCodes.WalPositionTruncated,
                    $"Position {fromPosition} was removed from the write-ahead log by a checkpoint; the first position kept is {_firstPosition}.");
            }

            first = Math.Min(fromPosition, _nextPosition);
            snapshot = new Stored[_nextPosition - first];
            for (var i = 0; i < snapshot.Length; i++)
            {
                var offset = first + i - _chunkBase;
                snapshot[i] = _chunks[(int)(offset / ChunkSize)][offset % ChunkSize];
            }
        }

        for (var i = 0; i < snapshot.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (entry, timestamp) = snapshot[i];
            yield return new WalRecord(first + i, timestamp, entry.Kind, entry.Tenant, entry.Payload, entry.Session, entry.Saga, entry.Intent);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, CancellationToken cancellationToken = default) =>
        WalTail.FollowAsync(this, _signal, static () => false, fromPosition, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var first = Math.Clamp(position, _firstPosition, _nextPosition);

            // Release what is below the new first position: whole chunks go back to the pool, the rest is cleared.
            while (_chunks.Count > 0 && _chunkBase + ChunkSize <= first)
            {
                var dropped = _chunks[0];
                _chunks.RemoveAt(0);
                _chunkBase += ChunkSize;
                if (_free.Count < PooledChunks)
                {
                    Array.Clear(dropped);
                    _free.Push(dropped);
                }
            }

            if (_chunks.Count > 0 && first > _firstPosition)
            {
                var from = (int)Math.Max(0, _firstPosition - _chunkBase);
                Array.Clear(_chunks[0], from, (int)(first - _chunkBase) - from);
            }

            Interlocked.Exchange(ref _firstPosition, first);
            return ValueTask.FromResult(first);
        }
    }

    private readonly record struct Stored(WalEntry Entry, DateTimeOffset Timestamp);
}

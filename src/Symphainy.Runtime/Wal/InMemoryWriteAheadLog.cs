using System.Runtime.CompilerServices;
using Symphainy.Wal.Internal;

namespace Symphainy.Wal;

/// <summary>
/// A write-ahead log in memory: the same contract as the file log, lost when the process ends.
/// For tests, simulations and throwaway hosts.
/// </summary>
public sealed class InMemoryWriteAheadLog : IWriteAheadLog
{
    private readonly Lock _gate = new();
    // Entries, not WalRecord objects: a record is built only when it is read.
    private readonly List<Stored> _records = [];
    private readonly CommitSignal _signal = new();
    private readonly TimeProvider _time;
    private readonly int _maxRecordBytes;
    private long _firstPosition = 1;

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
    public long NextPosition
    {
        get
        {
            lock (_gate)
            {
                return _firstPosition + _records.Count;
            }
        }
    }

    /// <inheritdoc/>
    public long FirstPosition
    {
        get
        {
            lock (_gate)
            {
                return _firstPosition;
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
    {
        WalEntryValidation.Validate(entry, _maxRecordBytes);
        cancellationToken.ThrowIfCancellationRequested();
        var payload = entry.PayloadHandedOver ? entry.Payload : entry.Payload.ToArray();
        long position;
        lock (_gate)
        {
            position = _firstPosition + _records.Count;
            _records.Add(new Stored(entry with { Payload = payload }, _time.GetUtcNow()));
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

            var skip = (int)Math.Min(fromPosition - _firstPosition, _records.Count);
            snapshot = _records.GetRange(skip, _records.Count - skip).ToArray();
            first = _firstPosition + skip;
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
            var removable = (int)Math.Clamp(position - _firstPosition, 0, _records.Count);
            _records.RemoveRange(0, removable);
            _firstPosition += removable;
            return ValueTask.FromResult(_firstPosition);
        }
    }

    private readonly record struct Stored(WalEntry Entry, DateTimeOffset Timestamp);
}

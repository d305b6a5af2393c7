using System.Runtime.CompilerServices;
using Symphainy.Events;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Reliability.Tests.Simulation;

/// <summary>What survives a simulated crash: the log's durable records and, in the shape with a durable hot store
/// (Redis-like), the hot state.</summary>
internal sealed class SimDisk
{
    public List<WalRecord> Records { get; } = [];

    public long FirstPosition { get; set; } = 1;

    public long DurableNext => FirstPosition + Records.Count;

    /// <summary>The hot state that outlives a crash, when the seed chose a durable hot store.</summary>
    public InMemoryHotStateStore? DurableHotState { get; set; }
}

/// <summary>
/// The write-ahead log of one incarnation of the simulated process, over the <see cref="SimDisk"/>. An append gets its
/// position at once and completes only when the simulator flushes it (a group commit, chosen by the seed); readers see
/// durable records only. A crash keeps a prefix of the records written but not flushed (a write that landed without its
/// acknowledgement) and loses the rest; an append may fail with <c>wal.io_failed</c> and then writes nothing.
/// </summary>
internal sealed class SimWal : IWriteAheadLog
{
    private readonly SimWorld _world;
    private readonly SimDisk _disk;
    private readonly Lock _gate = new();
    private readonly List<(WalRecord Record, TaskCompletionSource<long> Done)> _unsynced = [];
    private TaskCompletionSource _signal = new();
    private long _next;
    private DateTimeOffset _last;
    private bool _dead;
    private bool _closed;

    public SimWal(SimWorld world, SimDisk disk)
    {
        _world = world;
        _disk = disk;
        _next = disk.DurableNext;
        _last = disk.Records.Count > 0 ? disk.Records[^1].Timestamp : default;
    }

    public long NextPosition
    {
        get
        {
            lock (_gate)
            {
                return _next;
            }
        }
    }

    public long FirstPosition
    {
        get
        {
            lock (_gate)
            {
                return _disk.FirstPosition;
            }
        }
    }

    public int Unsynced
    {
        get
        {
            lock (_gate)
            {
                return _unsynced.Count;
            }
        }
    }

    public ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_dead)
            {
                return new ValueTask<long>(new TaskCompletionSource<long>().Task); // the process is gone: nothing returns
            }

            if (_closed)
            {
                throw new SymphainyException(ErrorCodes.WalClosed, "The simulated log is closed.");
            }
        }

        entry.Validate(_world.MaxRecordBytes, checksFences: false);
        cancellationToken.ThrowIfCancellationRequested();
        if (_world.Fault(SimFault.WalAppendFails))
        {
            throw new SymphainyException(ErrorCodes.WalIoFailed, "Simulated storage failure: the append was not written.");
        }

        lock (_gate)
        {
            var now = _world.Clock.GetUtcNow();
            _last = now < _last ? _last : now;
            var record = new WalRecord(_next++, _last, entry.Kind, entry.Tenant, entry.Payload.ToArray(), entry.Session, entry.Saga, entry.Intent);
            var done = new TaskCompletionSource<long>();
            _unsynced.Add((record, done));
            _world.Trace("append", record.Position, (long)record.Kind);
            return new ValueTask<long>(done.Task);
        }
    }

    /// <summary>Makes the oldest <paramref name="count"/> written records durable and completes their appends, in order.</summary>
    public void Flush(int count)
    {
        List<(WalRecord Record, TaskCompletionSource<long> Done)> batch;
        TaskCompletionSource signal;
        lock (_gate)
        {
            count = Math.Min(count, _unsynced.Count);
            if (count == 0 || _dead)
            {
                return;
            }

            batch = _unsynced.GetRange(0, count);
            _unsynced.RemoveRange(0, count);
            foreach (var (record, _) in batch)
            {
                _disk.Records.Add(record);
            }

            signal = _signal;
            _signal = new TaskCompletionSource();
        }

        foreach (var (record, _) in batch)
        {
            _world.OnDurable(record, acknowledged: true);
        }

        _world.Trace("flush", batch[0].Record.Position, count);
        foreach (var (record, done) in batch)
        {
            done.TrySetResult(record.Position);
        }

        signal.TrySetResult();
    }

    /// <summary>The process dies: a prefix of what was written but not flushed lands on the disk, unacknowledged.</summary>
    public void Crash(int landed)
    {
        lock (_gate)
        {
            _dead = true;
            landed = Math.Min(landed, _unsynced.Count);
            for (var i = 0; i < landed; i++)
            {
                _disk.Records.Add(_unsynced[i].Record);
            }

            foreach (var (record, _) in _unsynced.Take(landed))
            {
                _world.OnDurable(record, acknowledged: false);
            }

            _unsynced.Clear();
        }
    }

    /// <summary>A graceful close (the host was disposed): what was written is flushed, later appends fail.</summary>
    public void Close()
    {
        Flush(int.MaxValue);
        TaskCompletionSource signal;
        lock (_gate)
        {
            _closed = true;
            signal = _signal;
        }

        signal.TrySetResult();
    }

    public async IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        WalRecord[] snapshot;
        lock (_gate)
        {
            snapshot = Snapshot(fromPosition);
        }

        foreach (var record in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = fromPosition;
        while (!cancellationToken.IsCancellationRequested)
        {
            WalRecord[] snapshot;
            Task signal;
            bool closed;
            lock (_gate)
            {
                snapshot = Snapshot(next);
                signal = _signal.Task;
                closed = _closed;
            }

            foreach (var record in snapshot)
            {
                yield return record;
                next = record.Position + 1;
            }

            if (snapshot.Length > 0)
            {
                continue;
            }

            if (closed)
            {
                yield break;
            }

            try
            {
                await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
        }
    }

    public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var first = Math.Clamp(position, _disk.FirstPosition, _disk.DurableNext);
            var drop = (int)(first - _disk.FirstPosition);
            _disk.Records.RemoveRange(0, drop);
            _disk.FirstPosition = first;
            _world.Trace("checkpoint", first, drop);
            return ValueTask.FromResult(first);
        }
    }

    private WalRecord[] Snapshot(long from)
    {
        if (from < _disk.FirstPosition)
        {
            throw new SymphainyException(ErrorCodes.WalPositionTruncated, $"Position {from} was removed by a checkpoint; the first kept is {_disk.FirstPosition}.");
        }

        var start = (int)(from - _disk.FirstPosition);
        return start >= _disk.Records.Count ? [] : [.. _disk.Records.Skip(start)];
    }
}

/// <summary>
/// The hot state store of the simulation: the Runtime's in-memory store (lost with the process, as embedded hosts
/// have it, or kept across crashes, as a Redis-backed host has it) behind faults: an operation may answer at once, wait
/// until the simulator completes it (slow storage; a caller that cancels meanwhile may or may not have had it applied),
/// fail before it is applied, or be applied and then fail (the answer was lost).
/// </summary>
internal sealed class SimHotStore(SimWorld world, InMemoryHotStateStore inner) : IHotStateStore
{
    public static readonly ErrorCode Unavailable = new("sim.state_unavailable", ErrorKind.Platform, true, "The simulated hot state store did not answer.");

    public ValueTask<HotStateEntry?> GetAsync(TenantId tenant, string key, CancellationToken cancellationToken = default) =>
        Run(() => inner.GetAsync(tenant, key).AsTask().Result, cancellationToken);

    public ValueTask<long> SetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var copy = value.ToArray();
        return Run(() => inner.SetAsync(tenant, key, copy, ttl).AsTask().Result, cancellationToken);
    }

    public ValueTask<CompareAndSetResult> CompareAndSetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, long expectedVersion, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var copy = value.ToArray();
        return Run(() => inner.CompareAndSetAsync(tenant, key, copy, expectedVersion, ttl).AsTask().Result, cancellationToken);
    }

    public ValueTask<bool> DeleteAsync(TenantId tenant, string key, long? expectedVersion = null, CancellationToken cancellationToken = default) =>
        Run(() => inner.DeleteAsync(tenant, key, expectedVersion).AsTask().Result, cancellationToken);

    public ValueTask<Lease?> TryAcquireLeaseAsync(TenantId tenant, string resource, string owner, TimeSpan duration, CancellationToken cancellationToken = default) =>
        inner.TryAcquireLeaseAsync(tenant, resource, owner, duration, cancellationToken);

    public ValueTask<Lease?> RenewLeaseAsync(Lease lease, TimeSpan duration, CancellationToken cancellationToken = default) =>
        inner.RenewLeaseAsync(lease, duration, cancellationToken);

    public ValueTask<bool> ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default) =>
        inner.ReleaseLeaseAsync(lease, cancellationToken);

    private ValueTask<T> Run<T>(Func<T> apply, CancellationToken cancellationToken)
    {
        if (world.IsDead(this))
        {
            return new ValueTask<T>(new TaskCompletionSource<T>().Task);
        }

        cancellationToken.ThrowIfCancellationRequested();
        switch (world.HotStateFault())
        {
            case SimFault.HotStateFailsBefore:
                throw new SymphainyException(Unavailable, "Simulated hot state failure: nothing was applied.");
            case SimFault.HotStateFailsAfter:
                apply();
                throw new SymphainyException(Unavailable, "Simulated hot state failure: the operation was applied but its answer was lost.");
            case SimFault.HotStateSlow:
                var done = new TaskCompletionSource<T>();
                world.Pending(this, "hot", () =>
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        if (world.Chance(0.5))
                        {
                            apply(); // it reached the store before the caller gave up
                        }

                        done.TrySetCanceled(cancellationToken);
                        return;
                    }

                    done.TrySetResult(apply());
                });
                return new ValueTask<T>(done.Task);
            default:
                return ValueTask.FromResult(apply());
        }
    }
}

/// <summary>
/// The execution event bus of the simulation: it checks every event the Runtime publishes against the log (same
/// story: the event the mapping derives from the durable record at its position, in log order, of that record's
/// tenant), and may be slow (the publisher waits) or fail (live delivery stops until the next start, by design).
/// </summary>
internal sealed class SimBus(SimWorld world) : IExecutionEventBus
{
    private long _last;

    // A failed publish is delivered before it fails (as a lost answer from a remote bus would be): the publisher may
    // then publish that same event again, and only that one (at least once after a failure, never out of order).
    private bool _lastFailed;

    public ValueTask PublishAsync(ExecutionEvent executionEvent, CancellationToken cancellationToken = default)
    {
        if (world.IsDead(this))
        {
            return new ValueTask(new TaskCompletionSource().Task);
        }

        var retryOfFailed = _lastFailed && executionEvent.Position == _last;
        if (executionEvent.Position <= _last && !retryOfFailed)
        {
            world.Violation($"event bus: event at position {executionEvent.Position} published after position {_last} (out of order or twice)");
        }

        _last = executionEvent.Position;
        _lastFailed = false;
        world.Checker.OnPublished(executionEvent);
        if (world.Fault(SimFault.BusFails))
        {
            _lastFailed = true;
            throw new SymphainyException(SimHotStore.Unavailable, "Simulated event bus failure.");
        }

        if (world.Fault(SimFault.BusSlow))
        {
            var done = new TaskCompletionSource();
            world.Pending(this, "bus", () => done.TrySetResult());
            return new ValueTask(done.Task);
        }

        return ValueTask.CompletedTask;
    }

    public async IAsyncEnumerable<ExecutionEvent> SubscribeAsync(TenantId tenant, SagaId? saga = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }
}

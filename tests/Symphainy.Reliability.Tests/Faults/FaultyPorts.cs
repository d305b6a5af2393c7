using System.Runtime.CompilerServices;
using Symphainy.Events;
using Symphainy.Projection;
using Symphainy.PublicWorks.Redis;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Reliability.Tests.Faults;

/// <summary>
/// The write-ahead log port with faults: appends fail with <c>wal.io_failed</c> (retryable) as a storage failure
/// reports it, before the record is written or, for a share of them, after it was written (an acknowledgement lost on
/// its way back: the record is in the log although the append failed), and appends are delayed. Reads are untouched.
/// </summary>
public sealed class FaultyWriteAheadLog(IWriteAheadLog inner, FaultPlan plan) : IWriteAheadLog, IAsyncDisposable
{
    public long NextPosition => inner.NextPosition;

    public long FirstPosition => inner.FirstPosition;

    public async ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
    {
        var (fail, afterWrite, delay) = plan.Next();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, CancellationToken.None);
        }

        if (fail && !afterWrite)
        {
            throw new SymphainyException(ErrorCodes.WalIoFailed, "Injected fault: the write-ahead log could not write (nothing was written).");
        }

        var position = await inner.AppendAsync(entry, cancellationToken);
        return fail
            ? throw new SymphainyException(ErrorCodes.WalIoFailed, $"Injected fault: the write-ahead log's acknowledgement was lost (the record is at {position}).")
            : position;
    }

    public IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, CancellationToken cancellationToken = default) => inner.ReadAsync(fromPosition, cancellationToken);

    public IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, CancellationToken cancellationToken = default) => inner.SubscribeAsync(fromPosition, cancellationToken);

    public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default) => inner.CheckpointAsync(position, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }
}

/// <summary>The hot state port with faults: calls fail as a hot store that went away reports it (<c>redis.unavailable</c>, retryable), or are delayed.</summary>
public sealed class FaultyHotStateStore(IHotStateStore inner, FaultPlan plan) : IHotStateStore
{
    public async ValueTask<HotStateEntry?> GetAsync(TenantId tenant, string key, CancellationToken cancellationToken = default)
    {
        await BeforeAsync();
        return await inner.GetAsync(tenant, key, cancellationToken);
    }

    public async ValueTask<long> SetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        await BeforeAsync();
        return await inner.SetAsync(tenant, key, value, ttl, cancellationToken);
    }

    public async ValueTask<CompareAndSetResult> CompareAndSetAsync(TenantId tenant, string key, ReadOnlyMemory<byte> value, long expectedVersion, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        await BeforeAsync();
        return await inner.CompareAndSetAsync(tenant, key, value, expectedVersion, ttl, cancellationToken);
    }

    public async ValueTask<bool> DeleteAsync(TenantId tenant, string key, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        await BeforeAsync();
        return await inner.DeleteAsync(tenant, key, expectedVersion, cancellationToken);
    }

    public async ValueTask<Lease?> TryAcquireLeaseAsync(TenantId tenant, string resource, string owner, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        await BeforeAsync();
        return await inner.TryAcquireLeaseAsync(tenant, resource, owner, duration, cancellationToken);
    }

    public async ValueTask<Lease?> RenewLeaseAsync(Lease lease, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        await BeforeAsync();
        return await inner.RenewLeaseAsync(lease, duration, cancellationToken);
    }

    public async ValueTask<bool> ReleaseLeaseAsync(Lease lease, CancellationToken cancellationToken = default)
    {
        await BeforeAsync();
        return await inner.ReleaseLeaseAsync(lease, cancellationToken);
    }

    private async ValueTask BeforeAsync()
    {
        var (fail, _, delay) = plan.Next();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay);
        }

        if (fail)
        {
            throw new SymphainyException(RedisErrorCodes.Unavailable, "Injected fault: the hot state store did not answer.");
        }
    }
}

/// <summary>
/// The state graph port with faults: writes fail with an <see cref="IOException"/> (a full disk, a locked file) or are
/// delayed. It keeps the projection checkpoints of the graph it wraps, in the same transaction as the batch.
/// </summary>
public sealed class FaultyStateGraph(IStateGraph inner, FaultPlan plan) : IStateGraph, IProjectionCheckpoints, IAsyncDisposable
{
    public async ValueTask UpsertAsync(GraphBatch batch, CancellationToken cancellationToken = default)
    {
        await BeforeWriteAsync();
        await inner.UpsertAsync(batch, cancellationToken);
    }

    public ValueTask<GraphNode?> GetNodeAsync(TenantId tenant, string id, CancellationToken cancellationToken = default) => inner.GetNodeAsync(tenant, id, cancellationToken);

    public ValueTask<IReadOnlyList<GraphNode>> QueryNodesAsync(TenantId tenant, GraphNodeKind kind, int limit, string? afterId = null, CancellationToken cancellationToken = default) =>
        inner.QueryNodesAsync(tenant, kind, limit, afterId, cancellationToken);

    public ValueTask<IReadOnlyList<GraphEdge>> GetEdgesAsync(TenantId tenant, string nodeId, EdgeDirection direction, CancellationToken cancellationToken = default) =>
        inner.GetEdgesAsync(tenant, nodeId, direction, cancellationToken);

    public ValueTask<IReadOnlyList<LineageStep>> GetLineageAsync(TenantId tenant, string nodeId, int maxDepth = 32, CancellationToken cancellationToken = default) =>
        inner.GetLineageAsync(tenant, nodeId, maxDepth, cancellationToken);

    public async ValueTask<int> DeleteNodesAsync(TenantId tenant, IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken = default)
    {
        await BeforeWriteAsync();
        return await inner.DeleteNodesAsync(tenant, nodeIds, cancellationToken);
    }

    public async ValueTask<int> DeleteTenantAsync(TenantId tenant, CancellationToken cancellationToken = default)
    {
        await BeforeWriteAsync();
        return await inner.DeleteTenantAsync(tenant, cancellationToken);
    }

    public ValueTask<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default) =>
        ((IProjectionCheckpoints)inner).GetCheckpointAsync(projection, cancellationToken);

    public async ValueTask SetCheckpointAsync(string projection, long position, CancellationToken cancellationToken = default)
    {
        await BeforeWriteAsync();
        await ((IProjectionCheckpoints)inner).SetCheckpointAsync(projection, position, cancellationToken);
    }

    public async ValueTask UpsertWithCheckpointAsync(IStateGraph graph, GraphBatch batch, string projection, long position, CancellationToken cancellationToken = default)
    {
        await BeforeWriteAsync();
        await ((IProjectionCheckpoints)inner).UpsertWithCheckpointAsync(ReferenceEquals(graph, this) ? inner : graph, batch, projection, position, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (inner is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private async ValueTask BeforeWriteAsync()
    {
        var (fail, _, delay) = plan.Next();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay);
        }

        if (fail)
        {
            throw new IOException("Injected fault: disk I/O error while writing the state graph.");
        }
    }
}

/// <summary>The event bus port with faults: publishing fails (<c>redis.unavailable</c>, retryable) or is delayed. Subscriptions are untouched.</summary>
public sealed class FaultyEventBus(IExecutionEventBus inner, FaultPlan plan) : IExecutionEventBus
{
    public async ValueTask PublishAsync(ExecutionEvent executionEvent, CancellationToken cancellationToken = default)
    {
        var (fail, _, delay) = plan.Next();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        if (fail)
        {
            throw new SymphainyException(RedisErrorCodes.Unavailable, "Injected fault: the event bus did not answer.");
        }

        await inner.PublishAsync(executionEvent, cancellationToken);
    }

    public IAsyncEnumerable<ExecutionEvent> SubscribeAsync(TenantId tenant, SagaId? saga = null, CancellationToken cancellationToken = default) =>
        inner.SubscribeAsync(tenant, saga, cancellationToken);
}

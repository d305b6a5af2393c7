using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Wal;

namespace Symphainy.Sagas.Internal;

/// <summary>
/// The sagas this host knows, keyed by tenant and id: the live ones (running, waiting, resuming), the newest
/// <see cref="SagaOptions.EndedSagasKept"/> ended ones, and those that cannot run (poisoned). As a retention hold
/// it keeps the log from the first record of the oldest unfinished saga.
/// </summary>
internal sealed class SagaStore : IWalRetentionHold
{
    private readonly ConcurrentDictionary<(TenantId, SagaId), SagaRun> _active = new();
    private readonly ConcurrentDictionary<(TenantId, SagaId), SagaSnapshot> _ended = new();
    private readonly ConcurrentDictionary<(TenantId, SagaId), SagaSnapshot> _poisoned = new();
    private readonly ConcurrentQueue<(TenantId, SagaId)> _endedOrder = new();
    private readonly IWriteAheadLog _wal;
    private readonly int _endedKept;

    public SagaStore(IWriteAheadLog wal, IOptions<SymphainyOptions> options)
    {
        _wal = wal;
        _endedKept = options.Value.Sagas.EndedSagasKept;
    }

    public int ActiveCount => _active.Count;

    /// <summary>The lowest position an unfinished saga still needs (everything, while a saga cannot run).</summary>
    public long RetainFrom
    {
        get
        {
            if (!_poisoned.IsEmpty)
            {
                return 1;
            }

            var lowest = _wal.NextPosition;
            foreach (var run in _active.Values)
            {
                lowest = Math.Min(lowest, run.FirstPosition);
            }

            return lowest;
        }
    }

    public void Add(SagaRun run) => _active[(run.Tenant, run.Id)] = run;

    public bool TryGetActive(TenantId tenant, SagaId saga, out SagaRun run) => _active.TryGetValue((tenant, saga), out run!);

    public SagaSnapshot? Find(TenantId tenant, SagaId saga) =>
        _active.TryGetValue((tenant, saga), out var run) ? run.Snapshot()
        : _ended.TryGetValue((tenant, saga), out var ended) ? ended
        : _poisoned.GetValueOrDefault((tenant, saga));

    /// <summary>Moves an ended saga from the live set to the ended ones, forgetting the oldest beyond the limit.</summary>
    public void Retire(SagaSnapshot snapshot)
    {
        var key = (snapshot.Tenant, snapshot.Id);
        if (_endedKept > 0)
        {
            _ended[key] = snapshot;
            _endedOrder.Enqueue(key);
        }

        _active.TryRemove(key, out _);
        while (_endedOrder.Count > _endedKept && _endedOrder.TryDequeue(out var oldest))
        {
            _ended.TryRemove(oldest, out _);
        }
    }

    /// <summary>Records a saga that cannot run (its definition is missing or it is not deterministic).</summary>
    public void Poison(SagaSnapshot snapshot)
    {
        var key = (snapshot.Tenant, snapshot.Id);
        _active.TryRemove(key, out _);
        _poisoned[key] = snapshot;
    }
}

using Microsoft.Extensions.Logging;
using Symphainy.Wal;
using Symphainy.Wal.Internal;
using Symphainy.Wal.Records;

namespace Symphainy.Sagas.Internal;

/// <summary>
/// Rebuilds the sagas from the log: the newest ended ones for queries, and every unfinished one, replayed from its
/// records and handed to the executor to resume at its first unrecorded step.
/// </summary>
internal sealed partial class SagaRecovery(
    SagaStore store,
    SagaExecutor executor,
    SagaDefinitionCatalog catalog,
    IEnumerable<ISagaRecoveryObserver> observers,
    Microsoft.Extensions.Options.IOptions<Configuration.SymphainyOptions> options,
    ILogger<SagaRecovery> logger) : IRecoveryParticipant
{
    private readonly ISagaRecoveryObserver[] _observers = observers.ToArray();
    private readonly int _endedKept = options.Value.Sagas.EndedSagasKept;
    private readonly Dictionary<SagaId, List<WalRecord>> _unfinished = [];
    private readonly Queue<(WalRecord End, int Steps)> _recentlyEnded = new();
    private long _records;
    private long _ended;

    public void Observe(WalRecord record)
    {
        _records++;
        if (record.Saga is not { } id)
        {
            return;
        }

        if (record.Kind == WalRecordKind.SagaEnded)
        {
            _ended++;
            _unfinished.Remove(id, out var history);

            // Only the newest ended sagas are kept for queries, so only theirs are decoded.
            _recentlyEnded.Enqueue((record, history?.Count(r => r.Kind is WalRecordKind.StepCompleted or WalRecordKind.AgentOutput) ?? 0));
            if (_recentlyEnded.Count > _endedKept)
            {
                _recentlyEnded.Dequeue();
            }

            return;
        }

        if (!_unfinished.TryGetValue(id, out var list))
        {
            _unfinished[id] = list = [];
        }

        list.Add(record);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        foreach (var (end, steps) in _recentlyEnded)
        {
            store.Retire(EndedSnapshot(end, steps));
        }

        // In the order their intents were accepted, so a saga admission sees them in that order again.
        foreach (var (id, history) in _unfinished.OrderBy(p => p.Value[0].Position))
        {
            await ResumeAsync(id, history, cancellationToken).ConfigureAwait(false);
        }

        LogRecovered(logger, _records, _ended, _unfinished.Count);
        _unfinished.Clear();
        _recentlyEnded.Clear();
    }

    private async Task ResumeAsync(SagaId id, List<WalRecord> history, CancellationToken cancellationToken)
    {
        var first = history[0];
        if (first.Kind != WalRecordKind.IntentReceived || first.Intent is not { } intent)
        {
            // Retention never removes a running saga's first record; this log was cut by hand.
            LogMissingIntent(logger, id);
            return;
        }

        var received = (IntentReceivedPayload)WalPayloadCodec.Decode(first);
        var definition = catalog.Find(received.Definition, received.Version);
        if (definition is null)
        {
            var error = new SymphainyException(ErrorCodes.SagaDefinitionMissing, $"Saga {id} runs '{received.Definition}' v{received.Version}, which this host does not register; it stays unfinished until that version is deployed.");
            var snapshot = new SagaSnapshot(id, first.Tenant, intent, received.Definition, received.Version, SagaState.Pending, 0, null, null, new SagaError(error.Code, error.Kind, error.Message, null));
            store.Poison(snapshot);
            SagaExecutor.LogPoisoned(logger, error, id, received.Definition, received.Version);
            foreach (var observer in _observers)
            {
                await observer.OnPoisonAsync(snapshot, error, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var run = SagaRun.FromIntent(first, received, definition);
        for (var i = 1; i < history.Count; i++)
        {
            run.Apply(WalPayloadCodec.Decode(history[i]));
        }

        if (executor.RunsUnderLeases)
        {
            // On a shared log the unfinished sagas are the work distribution's: each runs where it is queued, and a
            // dead host's (this host's previous process, say) are handed to the hosts still running once its
            // membership lapses. Here it is watched until the log shows its end, so queries and waits answer for it.
            executor.Watch(run);
            return;
        }

        foreach (var observer in _observers)
        {
            await observer.BeforeResumeAsync(run.Snapshot(), cancellationToken).ConfigureAwait(false);
        }

        executor.Schedule(run);

        foreach (var observer in _observers)
        {
            await observer.AfterResumeAsync(run.Snapshot(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The snapshot of a saga from its end record and the number of steps it completed.</summary>
    internal static SagaSnapshot EndedSnapshot(WalRecord record, int steps)
    {
        var end = (SagaEndedPayload)WalPayloadCodec.Decode(record);
        return new SagaSnapshot(record.Saga!.Value, record.Tenant, record.Intent ?? default, end.Definition, end.Version, end.State, steps, null, end.Output, end.Error);
    }

    [LoggerMessage(20, LogLevel.Information, "Saga recovery: read {Records} log records, {Ended} ended sagas, resuming {Unfinished} unfinished")]
    private static partial void LogRecovered(ILogger logger, long records, long ended, int unfinished);

    [LoggerMessage(21, LogLevel.Error, "Saga {Saga} has records but no intent record in the log; it cannot be resumed")]
    private static partial void LogMissingIntent(ILogger logger, SagaId saga);
}

using System.Text.Json;
using Microsoft.Extensions.Logging;
using Symphainy.Intake;
using Symphainy.Sagas.Internal;
using Symphainy.Wal;

namespace Symphainy.Sagas;

/// <summary>Recovery: replay the log, resume every unfinished saga from its last recorded step.</summary>
public sealed partial class SagaEngine
{
    private readonly Dictionary<SagaId, SagaSnapshot> _poisoned = [];

    /// <summary>The idempotency keys the intake claims and recovery restores.</summary>
    internal IdempotencyKeys IdempotencyKeys { get; }

    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var unfinished = new Dictionary<SagaId, List<WalRecord>>();
        var recentlyEnded = new Queue<(WalRecord End, List<WalRecord>? History)>();
        long records = 0;
        long ended = 0;
        await foreach (var record in _wal.ReadAsync(_wal.FirstPosition, cancellationToken).ConfigureAwait(false))
        {
            records++;
            if (record.Saga is not { } id)
            {
                continue;
            }

            if (record.Kind == WalRecordKind.SagaEnded)
            {
                ended++;
                unfinished.Remove(id, out var history);

                // Only the newest ended sagas are kept for queries, so only theirs are decoded.
                recentlyEnded.Enqueue((record, history));
                if (recentlyEnded.Count > _options.EndedSagasKept)
                {
                    recentlyEnded.Dequeue();
                }

                continue;
            }

            if (!unfinished.TryGetValue(id, out var list))
            {
                unfinished[id] = list = [];
            }

            list.Add(record);
            if (record.Kind == WalRecordKind.IntentReceived)
            {
                await IdempotencyKeys.RestoreAsync(record, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var (end, history) in recentlyEnded)
        {
            Retire(EndedSnapshot(end, history));
        }

        foreach (var (id, history) in unfinished)
        {
            await ResumeAsync(id, history, cancellationToken).ConfigureAwait(false);
        }

        LogRecovered(_logger, records, ended, unfinished.Count);
        _ready.TrySetResult();
    }

    private async Task ResumeAsync(SagaId id, List<WalRecord> history, CancellationToken cancellationToken)
    {
        var intentRecord = history[0];
        if (intentRecord.Kind != WalRecordKind.IntentReceived || intentRecord.Intent is not { } intent)
        {
            // Retention never removes a running saga's first record; this log was cut by hand.
            LogMissingIntent(_logger, id);
            return;
        }

        var received = SagaRecords.Parse(intentRecord.Payload);
        var name = received.GetProperty("d").GetString()!;
        var version = received.GetProperty("v").GetInt32();
        var definition = _catalog.Find(name, version);
        if (definition is null)
        {
            var error = new SymphainyException(ErrorCodes.SagaDefinitionMissing, $"Saga {id} runs '{name}' v{version}, which this host does not register; it stays unfinished until that version is deployed.");
            var snapshot = new SagaSnapshot(id, intentRecord.Tenant, intent, name, version, SagaState.Pending, 0, null, null, new SagaError(error.Code, error.Kind, error.Message, null));
            _poisoned[id] = snapshot;
            _ended.TryAdd(id, snapshot);
            LogPoisoned(_logger, error, id, name, version);
            foreach (var observer in _observers)
            {
                await observer.OnPoisonAsync(snapshot, error, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var run = new SagaRun(id, intentRecord.Tenant, intentRecord.Session, intent, definition, received.GetProperty("p").Clone())
        {
            FirstPosition = intentRecord.Position,
        };
        foreach (var record in history.Skip(1))
        {
            Apply(run, record);
        }

        _active[id] = run;
        foreach (var observer in _observers)
        {
            await observer.BeforeResumeAsync(run.Snapshot(), cancellationToken).ConfigureAwait(false);
        }

        Schedule(run);
        foreach (var observer in _observers)
        {
            await observer.AfterResumeAsync(run.Snapshot(), cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Apply(SagaRun run, WalRecord record)
    {
        if (record.Kind == WalRecordKind.SagaStarted)
        {
            run.StartRecorded = true;
            return;
        }

        var payload = SagaRecords.Parse(record.Payload);
        switch (record.Kind)
        {
            case WalRecordKind.StepCompleted or WalRecordKind.AgentOutput:
                var index = payload.GetProperty("i").GetInt32();
                var kind = payload.GetProperty("k").GetString();
                if (kind == "comp")
                {
                    run.Compensated.Add(index);
                }
                else
                {
                    run.Recorded[index] = payload;
                    run.CompletedSteps += kind is "step" or "agent" ? 1 : 0;
                }

                break;
            case WalRecordKind.StepFailed:
                var failed = payload.GetProperty("i").GetInt32();
                var final = payload.GetProperty("f").GetBoolean();
                run.Failures[failed] = (payload.GetProperty("a").GetInt32(), final ? SagaRecords.ReadError(payload, payload.GetProperty("n").GetString()) : null);
                break;
            case WalRecordKind.SagaSignalled:
                switch (payload.GetProperty("k").GetString())
                {
                    case "signal":
                        run.Deliver(payload.GetProperty("n").GetString()!, payload.GetProperty("v").Clone());
                        break;
                    case "timer":
                        run.TimersFired.Add(payload.GetProperty("i").GetInt32());
                        break;
                    case "timeout":
                        run.TimedOut.Add(payload.GetProperty("i").GetInt32());
                        break;
                    case "cancel":
                        run.CancelReason = payload.GetProperty("m").GetString();
                        break;
                }

                break;
        }
    }

    private static SagaSnapshot EndedSnapshot(WalRecord endRecord, List<WalRecord>? history)
    {
        var end = SagaRecords.Parse(endRecord.Payload);
        var state = Enum.Parse<SagaState>(end.GetProperty("s").GetString()!);
        var started = history?.FirstOrDefault(r => r.Kind == WalRecordKind.IntentReceived) is { } intent ? SagaRecords.Parse(intent.Payload) : (JsonElement?)null;
        var error = end.TryGetProperty("c", out _) ? SagaRecords.ReadError(end, end.TryGetProperty("st", out var step) ? step.GetString() : null) : null;
        return new SagaSnapshot(
            endRecord.Saga!.Value,
            endRecord.Tenant,
            endRecord.Intent ?? default,
            end.TryGetProperty("d", out var d) ? d.GetString()! : started?.GetProperty("d").GetString() ?? "(unknown)",
            end.TryGetProperty("v", out var v) ? v.GetInt32() : started?.GetProperty("v").GetInt32() ?? 0,
            state,
            history?.Count(r => r.Kind is WalRecordKind.StepCompleted or WalRecordKind.AgentOutput) ?? 0,
            null,
            end.TryGetProperty("o", out var output) ? output.Clone() : null,
            error);
    }

    [LoggerMessage(20, LogLevel.Information, "Saga recovery: read {Records} log records, {Ended} ended sagas, resuming {Unfinished} unfinished")]
    private static partial void LogRecovered(ILogger logger, long records, long ended, int unfinished);

    [LoggerMessage(21, LogLevel.Error, "Saga {Saga} has records but no intent record in the log; it cannot be resumed")]
    private static partial void LogMissingIntent(ILogger logger, SagaId saga);
}

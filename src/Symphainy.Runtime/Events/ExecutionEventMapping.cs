using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Events;

/// <summary>
/// The one mapping from log records to execution events. The live bus publishes what this returns for each record
/// as it becomes durable, and a durable watch replays the same records through it, so both tell the same story.
/// </summary>
public static class ExecutionEventMapping
{
    /// <summary>The event a record stands for; null for records that are not about a saga (sessions).</summary>
    /// <param name="record">A durable record.</param>
    public static ExecutionEvent? FromRecord(WalRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Saga is not { } saga)
        {
            return null;
        }

        var (kind, state, step) = WalPayloadCodec.Decode(record) switch
        {
            IntentReceivedPayload => (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            SagaStartedPayload => (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            StepCompletedPayload { StepKind: StepKind.Timer or StepKind.Wait } wait => (ExecutionEventKind.Waiting, SagaState.Waiting, wait.Name),
            StepCompletedPayload { StepKind: StepKind.Compensation } compensated => (ExecutionEventKind.StepCompleted, SagaState.Compensating, compensated.Name),
            StepCompletedPayload { StepKind: StepKind.Agent } agent => (ExecutionEventKind.AgentOutput, SagaState.Running, agent.Name),
            StepCompletedPayload completed => (ExecutionEventKind.StepCompleted, SagaState.Running, completed.Name),
            StepFailedPayload { StepKind: StepKind.Compensation } failed => (ExecutionEventKind.StepFailed, SagaState.Compensating, failed.Name),
            StepFailedPayload failed => (ExecutionEventKind.StepFailed, SagaState.Running, failed.Name),
            SagaSignalledPayload { SignalKind: SignalKind.TimedOut } timeout => (ExecutionEventKind.StepFailed, SagaState.Running, timeout.Name),
            SagaSignalledPayload { SignalKind: SignalKind.Cancel } => (ExecutionEventKind.CancelRequested, SagaState.Running, null),
            SagaSignalledPayload signal => (ExecutionEventKind.Signalled, SagaState.Running, signal.Name),
            SagaCompensatingPayload => (ExecutionEventKind.Compensating, SagaState.Compensating, null),
            SagaEndedPayload { State: SagaState.Completed } => (ExecutionEventKind.SagaCompleted, SagaState.Completed, null),
            SagaEndedPayload { State: SagaState.Cancelled } => (ExecutionEventKind.SagaCancelled, SagaState.Cancelled, null),
            SagaEndedPayload => (ExecutionEventKind.SagaFailed, SagaState.Failed, (string?)null),
            _ => ((ExecutionEventKind?)null, SagaState.Pending, (string?)null),
        };
        return kind is { } known ? new ExecutionEvent(record.Position, known, record.Tenant, saga, state, step, record.Timestamp) : null;
    }
}

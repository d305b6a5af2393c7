using Symphainy.Sagas;

namespace Symphainy.Wal.Records;

/// <summary>
/// The typed content of a write-ahead log record. Every record the Runtime writes carries one of these, encoded by
/// <see cref="WalPayloadCodec"/>; nothing else reads or writes payload bytes. JSON values (intent inputs, step
/// results, signal values, saga outputs) are kept as the UTF-8 JSON they were serialized to.
/// </summary>
public abstract record WalPayload
{
    private protected WalPayload()
    {
    }

    /// <summary>The record kind this payload is stored under.</summary>
    public abstract WalRecordKind Kind { get; }
}

/// <summary>An accepted intent (<see cref="WalRecordKind.IntentReceived"/>): recorded before it is acknowledged.</summary>
/// <param name="IntentType">The normalized intent type.</param>
/// <param name="Definition">The saga definition it runs.</param>
/// <param name="Version">The definition version, pinned at acceptance.</param>
/// <param name="Input">The intent's payload, UTF-8 JSON.</param>
/// <param name="IdempotencyKey">The caller's idempotency key, if any.</param>
/// <param name="Metadata">The caller's metadata, if any.</param>
public sealed record IntentReceivedPayload(
    string IntentType,
    string Definition,
    int Version,
    ReadOnlyMemory<byte> Input,
    string? IdempotencyKey = null,
    IReadOnlyDictionary<string, string>? Metadata = null) : WalPayload
{
    /// <inheritdoc/>
    public override WalRecordKind Kind => WalRecordKind.IntentReceived;
}

/// <summary>A saga started (<see cref="WalRecordKind.SagaStarted"/>).</summary>
/// <param name="Definition">The saga definition.</param>
/// <param name="Version">Its version.</param>
public sealed record SagaStartedPayload(string Definition, int Version) : WalPayload
{
    /// <inheritdoc/>
    public override WalRecordKind Kind => WalRecordKind.SagaStarted;
}

/// <summary>What kind of saga step a record is about. Stored on disk: never renumber.</summary>
public enum StepKind : byte
{
    /// <summary>A service step (<c>SagaContext.Step</c>).</summary>
    Step = 1,

    /// <summary>An agent call (<c>SagaContext.Agent</c>).</summary>
    Agent = 2,

    /// <summary>A durable timer (<c>SagaContext.Delay</c>).</summary>
    Timer = 3,

    /// <summary>A wait for an external signal (<c>SagaContext.WaitForSignal</c>).</summary>
    Wait = 4,

    /// <summary>The compensation of an earlier step.</summary>
    Compensation = 5,
}

/// <summary>
/// A step completed (<see cref="WalRecordKind.StepCompleted"/>, or <see cref="WalRecordKind.AgentOutput"/> for an
/// agent): its result is returned instead of running it again on replay. For a timer or a signal wait, the record
/// of the wait starting, with its due time.
/// </summary>
/// <param name="Index">The step's index in call order, from 0.</param>
/// <param name="Name">The step's name.</param>
/// <param name="StepKind">What kind of step.</param>
/// <param name="Result">The step's result, UTF-8 JSON, if it has one.</param>
/// <param name="Due">When a timer fires or a signal wait times out.</param>
public sealed record StepCompletedPayload(int Index, string Name, StepKind StepKind, ReadOnlyMemory<byte>? Result = null, DateTimeOffset? Due = null) : WalPayload
{
    /// <inheritdoc/>
    public override WalRecordKind Kind => StepKind == StepKind.Agent ? WalRecordKind.AgentOutput : WalRecordKind.StepCompleted;
}

/// <summary>A step attempt failed (<see cref="WalRecordKind.StepFailed"/>).</summary>
/// <param name="Index">The step's index.</param>
/// <param name="Name">The step's name.</param>
/// <param name="StepKind">What kind of step.</param>
/// <param name="Attempt">The attempt that failed, from 1.</param>
/// <param name="Final">Whether no further attempt follows.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Backoff">The wait before the next attempt (zero when final).</param>
public sealed record StepFailedPayload(int Index, string Name, StepKind StepKind, int Attempt, bool Final, SagaError Error, TimeSpan Backoff) : WalPayload
{
    /// <inheritdoc/>
    public override WalRecordKind Kind => WalRecordKind.StepFailed;
}

/// <summary>What reached a saga from outside or from its clock. Stored on disk: never renumber.</summary>
public enum SignalKind : byte
{
    /// <summary>An external signal with a value.</summary>
    Signal = 1,

    /// <summary>A durable timer fired.</summary>
    TimerFired = 2,

    /// <summary>A signal wait reached its deadline.</summary>
    TimedOut = 3,

    /// <summary>Cancellation was requested.</summary>
    Cancel = 4,
}

/// <summary>Something reached a saga (<see cref="WalRecordKind.SagaSignalled"/>).</summary>
/// <param name="SignalKind">What.</param>
/// <param name="Name">The signal's or step's name.</param>
/// <param name="Index">The index of the timer or wait step concerned.</param>
/// <param name="Value">The signal's value, UTF-8 JSON.</param>
/// <param name="Reason">Why cancellation was requested.</param>
public sealed record SagaSignalledPayload(SignalKind SignalKind, string? Name = null, int? Index = null, ReadOnlyMemory<byte>? Value = null, string? Reason = null) : WalPayload
{
    /// <inheritdoc/>
    public override WalRecordKind Kind => WalRecordKind.SagaSignalled;
}

/// <summary>A saga began compensating its completed steps (<see cref="WalRecordKind.SagaCompensating"/>).</summary>
/// <param name="Cause">The failure or cancellation that made it compensate.</param>
public sealed record SagaCompensatingPayload(SagaError Cause) : WalPayload
{
    /// <inheritdoc/>
    public override WalRecordKind Kind => WalRecordKind.SagaCompensating;
}

/// <summary>A saga ended (<see cref="WalRecordKind.SagaEnded"/>).</summary>
/// <param name="State">Completed, failed or cancelled.</param>
/// <param name="Definition">The saga definition.</param>
/// <param name="Version">Its version.</param>
/// <param name="Output">The output, UTF-8 JSON, when completed.</param>
/// <param name="Error">Why it failed or was cancelled.</param>
public sealed record SagaEndedPayload(SagaState State, string Definition, int Version, ReadOnlyMemory<byte>? Output = null, SagaError? Error = null) : WalPayload
{
    /// <inheritdoc/>
    public override WalRecordKind Kind => WalRecordKind.SagaEnded;
}

/// <summary>A session started or ended (<see cref="WalRecordKind.SessionStarted"/>, <see cref="WalRecordKind.SessionEnded"/>).</summary>
/// <param name="CreatedAt">When it started.</param>
/// <param name="ExpiresAt">When it expires unless touched.</param>
/// <param name="EndedAt">When it ended.</param>
/// <param name="Ttl">Its time to live, renewed by each touch.</param>
/// <param name="Attributes">Host-defined attributes.</param>
public sealed record SessionPayload(DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? EndedAt, TimeSpan Ttl, IReadOnlyDictionary<string, string> Attributes) : WalPayload
{
    /// <inheritdoc/>
    public override WalRecordKind Kind => EndedAt is not null ? WalRecordKind.SessionEnded : WalRecordKind.SessionStarted;
}

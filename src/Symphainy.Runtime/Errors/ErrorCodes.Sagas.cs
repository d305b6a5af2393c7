namespace Symphainy;

public static partial class ErrorCodes
{
    /// <summary>An intent is malformed: no type, no tenant, a bad idempotency key or metadata.</summary>
    public static readonly ErrorCode IntakeInvalidIntent = new(
        "intake.invalid_intent", ErrorKind.Domain, isRetryable: false,
        "The intent is malformed (missing type or tenant, bad idempotency key or metadata); the message names the field.");

    /// <summary>An intent's payload is larger than <c>Symphainy:Intake:MaxPayloadBytes</c>.</summary>
    public static readonly ErrorCode IntakePayloadTooLarge = new(
        "intake.payload_too_large", ErrorKind.Domain, isRetryable: false,
        "The intent's payload is larger than Symphainy:Intake:MaxPayloadBytes allows. Send less, or a reference to a stored document.");

    /// <summary>No capability handles the intent's type (and version).</summary>
    public static readonly ErrorCode IntakeUnknownIntentType = new(
        "intake.unknown_intent_type", ErrorKind.Domain, isRetryable: false,
        "No registered capability handles this intent type (or version). Check the name against the capability catalogue.");

    /// <summary>The payload does not match the capability's input schema.</summary>
    public static readonly ErrorCode IntakeInvalidPayload = new(
        "intake.invalid_payload", ErrorKind.Domain, isRetryable: false,
        "The payload does not match the capability's input schema; the message names the field.");

    /// <summary>An idempotency key the tenant used for one intent came again with another (another type or payload).</summary>
    public static readonly ErrorCode IntakeIdempotencyKeyReused = new(
        "intake.idempotency_key_reused", ErrorKind.Domain, isRetryable: false,
        "The idempotency key was used within the tenant for another intent (another type or payload) during the idempotency window. Resend the first intent unchanged to get its execution, or use a new key for a new intent. Nothing was recorded.");

    /// <summary>No saga with this id exists in this tenant.</summary>
    public static readonly ErrorCode SagaNotFound = new(
        "saga.not_found", ErrorKind.Domain, isRetryable: false,
        "No saga with this id exists in this tenant.");

    /// <summary>A saga step failed for good (after its retries).</summary>
    public static readonly ErrorCode SagaStepFailed = new(
        "saga.step_failed", ErrorKind.Domain, isRetryable: false,
        "A saga step failed after its retries; completed steps were compensated. The inner error says why the step failed.");

    /// <summary>Replay found a different step than the one recorded: the orchestrator is not deterministic.</summary>
    public static readonly ErrorCode SagaNondeterministic = new(
        "saga.nondeterministic", ErrorKind.Platform, isRetryable: false,
        "On replay the orchestrator called a different step than it recorded. Orchestrators must make the same calls in the same order; version the saga definition when its steps change.");

    /// <summary>A saga waited for a signal longer than its timeout.</summary>
    public static readonly ErrorCode SagaSignalTimeout = new(
        "saga.signal_timeout", ErrorKind.Domain, isRetryable: false,
        "The saga waited for a signal longer than its timeout allowed.");

    /// <summary>A saga was cancelled on request.</summary>
    public static readonly ErrorCode SagaCancelled = new(
        "saga.cancelled", ErrorKind.Domain, isRetryable: false,
        "The saga was cancelled on request; its completed steps were compensated.");

    /// <summary>A recorded saga names a definition or version this host does not have.</summary>
    public static readonly ErrorCode SagaDefinitionMissing = new(
        "saga.definition_missing", ErrorKind.Platform, isRetryable: true,
        "A saga to resume names a definition or version this host does not register. Deploy that version (keep old versions registered while their sagas run); the saga stays unfinished until then.");

    /// <summary>A saga definition is registered twice or is malformed.</summary>
    public static readonly ErrorCode SagaInvalidDefinition = new(
        "saga.invalid_definition", ErrorKind.Platform, isRetryable: false,
        "A saga definition is malformed or registered twice with the same name and version.");

    /// <summary>A saga already ended and takes no more signals or cancellation.</summary>
    public static readonly ErrorCode SagaAlreadyEnded = new(
        "saga.already_ended", ErrorKind.Domain, isRetryable: false,
        "The saga already ended; it takes no more signals or cancellation.");

    /// <summary>Work was submitted before the host started the platform.</summary>
    public static readonly ErrorCode HostNotStarted = new(
        "host.not_started", ErrorKind.Platform, isRetryable: true,
        "The host has not started Symphainy yet (IHost.StartAsync or app.Run), so nothing can be recorded or run. Start the host first.");

    /// <summary>The host is stopping: intake accepts nothing more until it starts again.</summary>
    public static readonly ErrorCode HostStopping = new(
        "host.stopping", ErrorKind.Platform, isRetryable: true,
        "The host is stopping, so intake accepts no new work. Nothing was recorded for this request: retry it (with the same idempotency key) against a running host.");

    /// <summary>The host's settings contradict each other; the message says which.</summary>
    public static readonly ErrorCode HostMisconfigured = new(
        "host.misconfigured", ErrorKind.Platform, isRetryable: false,
        "The host's settings contradict each other (the message names them), so it cannot start. Fix the configuration and start it again.");

    /// <summary>A step threw an exception that is not a <see cref="SymphainyException"/>.</summary>
    public static readonly ErrorCode StepUnhandledException = new(
        "step.unhandled_exception", ErrorKind.Platform, isRetryable: true,
        "A saga step threw an exception that is not a SymphainyException. It counts as a retryable platform error; the message names the exception type. Throw a SymphainyException with a code of your realm to say what went wrong.");

    /// <summary>A step's result could not be recorded: larger than the log takes, or not serializable.</summary>
    public static readonly ErrorCode StepResultNotRecordable = new(
        "step.result_not_recordable", ErrorKind.Domain, isRetryable: false,
        "A step's result (or a saga's output) could not be recorded: it is larger than Symphainy:Wal:MaxRecordBytes, or it cannot be serialized to JSON (nested deeper than 64 levels, cycles, unsupported types). Return a smaller result, such as a blob reference, or raise the limit.");

    /// <summary>An orchestrator threw an exception that is not a <see cref="SymphainyException"/>.</summary>
    public static readonly ErrorCode SagaUnhandledException = new(
        "saga.unhandled_exception", ErrorKind.Platform, isRetryable: false,
        "The orchestrator itself (not a step) threw an exception that is not a SymphainyException; the saga failed after compensation. The message names the exception type.");

    /// <summary>A compensation threw.</summary>
    public static readonly ErrorCode SagaCompensationFailed = new(
        "saga.compensation_failed", ErrorKind.Platform, isRetryable: false,
        "Compensating a completed step threw. The failure is recorded and the other compensations still run; undo the step's effect by hand if it matters.");

    /// <summary>A watch asked for a log position that cannot exist.</summary>
    public static readonly ErrorCode EventsInvalidPosition = new(
        "events.invalid_position", ErrorKind.Domain, isRetryable: false,
        "An execution event stream was asked to start at a position below 1. Positions start at 1; pass the last position seen plus one to resume.");
}

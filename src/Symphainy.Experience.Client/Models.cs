using System.Text.Json;

namespace Symphainy.Experience.Client;

// The client's own copies of the contract's shapes (docs/http-api.md). Ids are kept in their typed string form
// ("sag_…", "ses_…", "int_…"): the client passes them back as they came and never parses them, so a server-side
// change in how ids are made cannot break it.

/// <summary>What <c>POST /v1/intents</c> answers: the intent was recorded and its execution exists.</summary>
/// <param name="Intent">The intent's id (<c>int_…</c>).</param>
/// <param name="Execution">The execution's id (<c>sag_…</c>): pass it to <see cref="SymphainyClient.GetExecutionAsync"/> or watch it.</param>
/// <param name="Position">The log position the intent was recorded at.</param>
/// <param name="Duplicate">Whether an earlier submission with the same idempotency key was answered instead (nothing new was recorded).</param>
public sealed record Acceptance(string Intent, string Execution, long Position, bool Duplicate);

/// <summary>An execution (a saga) as the Runtime recorded it.</summary>
/// <param name="Id">The execution's id (<c>sag_…</c>).</param>
/// <param name="Definition">The saga definition (the capability) it runs.</param>
/// <param name="Version">The definition's version.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="CompletedSteps">How many steps completed.</param>
/// <param name="CurrentStep">The step it is in, if any.</param>
/// <param name="Output">Its output once completed (JSON, read it with <c>JsonSerializer.Deserialize</c>).</param>
/// <param name="Error">Its error once failed.</param>
public sealed record Execution(
    string Id,
    string Definition,
    int Version,
    ExecutionState State,
    int CompletedSteps,
    string? CurrentStep,
    JsonElement? Output,
    ExecutionError? Error)
{
    /// <summary>Whether the execution ended (completed, failed or cancelled): nothing about it changes any more.</summary>
    public bool HasEnded => State is ExecutionState.Completed or ExecutionState.Failed or ExecutionState.Cancelled;
}

/// <summary>Why an execution failed.</summary>
/// <param name="Code">The error code (docs/errors.md).</param>
/// <param name="Kind">Whose error it is.</param>
/// <param name="Message">What happened.</param>
/// <param name="Step">The step that failed, if any.</param>
public sealed record ExecutionError(string Code, ErrorKind Kind, string Message, string? Step);

/// <summary>One observable transition of an execution, in log order.</summary>
/// <param name="Position">The log position it was derived from; resume a watch from it plus one.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Execution">The execution's id (<c>sag_…</c>).</param>
/// <param name="State">The execution's state after it.</param>
/// <param name="Step">The step concerned, if any.</param>
/// <param name="Timestamp">When the log recorded it.</param>
public sealed record ExecutionEvent(
    long Position,
    ExecutionEventKind Kind,
    string Execution,
    ExecutionState State,
    string? Step,
    DateTimeOffset Timestamp)
{
    /// <summary>Whether this event ends its execution (completed, failed or cancelled).</summary>
    public bool IsEnd => Kind is ExecutionEventKind.SagaCompleted or ExecutionEventKind.SagaFailed or ExecutionEventKind.SagaCancelled;
}

/// <summary>A session: requests sent in it are grouped, and it can be watched as one stream.</summary>
/// <param name="Id">The session's id (<c>ses_…</c>).</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="ExpiresAt">When it expires, if it does.</param>
/// <param name="Ended">Whether it was ended; intents sent in it are refused with <c>session.ended</c>.</param>
public sealed record Session(string Id, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, bool Ended);

/// <summary>A capability the platform offers (an intent type that can be submitted).</summary>
/// <param name="Name">The intent type to submit.</param>
/// <param name="Version">Its version.</param>
/// <param name="Realm">The realm that declares it.</param>
/// <param name="Description">What it does.</param>
/// <param name="InputSchema">The JSON schema of its payload, if declared.</param>
public sealed record Capability(string Name, int Version, string Realm, string Description, JsonElement? InputSchema);

/// <summary>An RFC 9457 problem details body, as the server sends it with every error.</summary>
/// <param name="Type">The problem type (<c>urn:symphainy:error:&lt;code&gt;</c>).</param>
/// <param name="Title">A short summary.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">What went wrong in this case.</param>
/// <param name="Code">The error code (docs/errors.md).</param>
/// <param name="Retryable">Whether the same request may succeed later.</param>
/// <param name="RetryAfterSeconds">How long to wait before retrying, when the server says.</param>
public sealed record Problem(
    string? Type,
    string? Title,
    int? Status,
    string? Detail,
    string? Code,
    bool Retryable,
    double? RetryAfterSeconds);

/// <summary>Where an execution is in its life (the Runtime's saga state).</summary>
public enum ExecutionState
{
    /// <summary>Accepted, not yet running.</summary>
    Pending,

    /// <summary>Running steps.</summary>
    Running,

    /// <summary>Waiting for a timer or an external signal.</summary>
    Waiting,

    /// <summary>Compensating completed steps after a failure or a cancellation.</summary>
    Compensating,

    /// <summary>Ended with an output.</summary>
    Completed,

    /// <summary>Ended with an error, after compensation.</summary>
    Failed,

    /// <summary>Ended by cancellation, after compensation.</summary>
    Cancelled,
}

/// <summary>Whose error an execution's error is.</summary>
public enum ErrorKind
{
    /// <summary>The platform's (infrastructure, configuration).</summary>
    Platform,

    /// <summary>The domain's (a business rule refused it).</summary>
    Domain,

    /// <summary>An agent's (a model's output could not be used).</summary>
    Agent,
}

/// <summary>What an execution event reports (the Runtime's execution event kinds).</summary>
public enum ExecutionEventKind
{
    /// <summary>An intent was accepted and recorded.</summary>
    IntentAccepted,

    /// <summary>A saga started.</summary>
    SagaStarted,

    /// <summary>A step completed.</summary>
    StepCompleted,

    /// <summary>A step attempt failed (it may be retried), a signal wait timed out, or a compensation failed.</summary>
    StepFailed,

    /// <summary>An agent produced an artifact.</summary>
    AgentOutput,

    /// <summary>The saga waits for a timer or a signal.</summary>
    Waiting,

    /// <summary>A signal arrived or a timer fired.</summary>
    Signalled,

    /// <summary>The saga compensates completed steps.</summary>
    Compensating,

    /// <summary>The saga completed.</summary>
    SagaCompleted,

    /// <summary>The saga failed.</summary>
    SagaFailed,

    /// <summary>The saga was cancelled.</summary>
    SagaCancelled,

    /// <summary>Cancellation of the saga was requested; it stops at its current wait or next step.</summary>
    CancelRequested,
}

/// <summary>Which events a watch receives: one execution's, one session's, or the whole tenant's.</summary>
public sealed class WatchScope
{
    private WatchScope(string? execution, string? session)
    {
        Execution = execution;
        Session = session;
    }

    /// <summary>The tenant's whole stream (every execution the caller's tenant runs).</summary>
    public static WatchScope Tenant { get; } = new(null, null);

    /// <summary>The execution watched, if this is an execution's stream.</summary>
    public string? Execution { get; }

    /// <summary>The session watched, if this is a session's stream.</summary>
    public string? Session { get; }

    /// <summary>One execution's events.</summary>
    /// <param name="execution">The execution's id (<c>sag_…</c>).</param>
    /// <returns>The stream.</returns>
    public static WatchScope ForExecution(string execution)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(execution);
        return new(execution, null);
    }

    /// <summary>The events of every execution started in one session.</summary>
    /// <param name="session">The session's id (<c>ses_…</c>).</param>
    /// <returns>The stream.</returns>
    public static WatchScope ForSession(string session)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(session);
        return new(null, session);
    }

    /// <inheritdoc />
    public override string ToString() => Execution is { } e ? $"execution {e}" : Session is { } s ? $"session {s}" : "tenant";
}

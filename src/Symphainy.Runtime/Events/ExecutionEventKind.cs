namespace Symphainy.Events;

/// <summary>What an execution event reports. Every kind is derived from a log record (<see cref="ExecutionEventMapping"/>).</summary>
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

namespace Symphainy.Events;

/// <summary>What an execution event reports.</summary>
public enum ExecutionEventKind
{
    /// <summary>An intent was accepted and recorded.</summary>
    IntentAccepted,

    /// <summary>A saga started.</summary>
    SagaStarted,

    /// <summary>A step completed.</summary>
    StepCompleted,

    /// <summary>A step attempt failed (it may be retried).</summary>
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
}

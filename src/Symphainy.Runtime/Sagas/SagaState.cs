namespace Symphainy.Sagas;

/// <summary>Where a saga is in its life. Values are stored in the write-ahead log: never renumber them.</summary>
public enum SagaState
{
    /// <summary>Accepted, not yet running (or waiting for its definition to be deployed).</summary>
    Pending,

    /// <summary>Running steps.</summary>
    Running,

    /// <summary>Waiting for a timer or an external signal.</summary>
    Waiting,

    /// <summary>A step failed for good or the saga was cancelled; compensations of completed steps run in reverse order.</summary>
    Compensating,

    /// <summary>Ended with an output.</summary>
    Completed,

    /// <summary>Ended with an error, after compensation.</summary>
    Failed,

    /// <summary>Ended by cancellation, after compensation.</summary>
    Cancelled,
}

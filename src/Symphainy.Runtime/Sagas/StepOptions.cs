namespace Symphainy.Sagas;

/// <summary>Options of one step call.</summary>
public sealed record StepOptions
{
    /// <summary>How the step is retried; the saga definition's policy when null.</summary>
    public RetryPolicy? Retry { get; init; }
}

namespace Symphainy.Events;

/// <summary>
/// Fan-out of execution events to subscribers. The Runtime's default delivers in process through bounded
/// channels: a subscriber that does not keep up slows the publisher down (backpressure) rather than losing events.
/// </summary>
public interface IExecutionEventBus
{
    /// <summary>Delivers an event to every subscriber whose filter matches; waits while a matching subscriber's buffer is full.</summary>
    /// <param name="executionEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    ValueTask PublishAsync(ExecutionEvent executionEvent, CancellationToken cancellationToken = default);

    /// <summary>Live events of one tenant (and, if given, one saga) from now on, until cancelled.</summary>
    /// <param name="tenant">The tenant; no subscription sees another tenant's events.</param>
    /// <param name="saga">Only this saga's events, or all of the tenant's.</param>
    /// <param name="cancellationToken">Ends the subscription.</param>
    IAsyncEnumerable<ExecutionEvent> SubscribeAsync(TenantId tenant, SagaId? saga = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether the bus takes each log record's event by itself (a provider whose log writes the events with the
    /// records, in the same write). The Runtime then does not follow the log to publish on it. Default false.
    /// </summary>
    bool IsFedByLog => false;
}

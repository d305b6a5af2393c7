using Symphainy.Sagas;

namespace Symphainy.Events;

/// <summary>One observable transition of an execution, in the order the log recorded it.</summary>
/// <param name="Position">
/// The write-ahead log position of the record behind it (0 for transitions that have no record of their own,
/// such as <see cref="ExecutionEventKind.Compensating"/>). Subscribe from a position to resume after it.
/// </param>
/// <param name="Kind">What happened.</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="Saga">The saga (the execution id).</param>
/// <param name="State">The saga's state after it.</param>
/// <param name="Step">The step concerned, if any.</param>
/// <param name="Timestamp">When it happened.</param>
public sealed record ExecutionEvent(
    long Position,
    ExecutionEventKind Kind,
    TenantId Tenant,
    SagaId Saga,
    SagaState State,
    string? Step,
    DateTimeOffset Timestamp);

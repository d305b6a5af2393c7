using Symphainy.Sagas;

namespace Symphainy.Events;

/// <summary>One observable transition of an execution, derived from the log record behind it, in the order the log recorded it.</summary>
/// <param name="Position">
/// The write-ahead log position of the record it was derived from. Watch from a position plus one to resume after it.
/// </param>
/// <param name="Kind">What happened.</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="Saga">The saga (the execution id).</param>
/// <param name="State">The saga's state after it.</param>
/// <param name="Step">The step concerned, if any.</param>
/// <param name="Timestamp">When the log recorded it.</param>
public sealed record ExecutionEvent(
    long Position,
    ExecutionEventKind Kind,
    TenantId Tenant,
    SagaId Saga,
    SagaState State,
    string? Step,
    DateTimeOffset Timestamp);

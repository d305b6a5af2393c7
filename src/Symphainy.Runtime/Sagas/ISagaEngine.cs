using System.Text.Json;
using Symphainy.Events;

namespace Symphainy.Sagas;

/// <summary>Queries and controls running sagas. Every call is scoped to one tenant.</summary>
public interface ISagaEngine
{
    /// <summary>The saga as the engine knows it now; null when the tenant has no such saga.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="saga">The saga (execution) id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask<SagaSnapshot?> GetAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default);

    /// <summary>Completes when the saga ends (completed, failed or cancelled); throws <c>saga.not_found</c> for an unknown saga.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="saga">The saga id.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task<SagaSnapshot> WaitForEndAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default);

    /// <summary>Records and delivers a signal; a saga waiting in <c>WaitForSignal(name)</c> continues with <paramref name="value"/>.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="saga">The saga id.</param>
    /// <param name="name">The signal's name.</param>
    /// <param name="value">The signal's value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The log position of the signal's record.</returns>
    ValueTask<long> SignalAsync(TenantId tenant, SagaId saga, string name, JsonElement value, CancellationToken cancellationToken = default);

    /// <summary>Records a cancellation: the saga stops at its current wait or next step, compensates, and ends Cancelled.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="saga">The saga id.</param>
    /// <param name="reason">Why, for the record.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The log position of the cancellation's record.</returns>
    ValueTask<long> CancelAsync(TenantId tenant, SagaId saga, string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// The tenant's execution events (of one saga, or all) from log position <paramref name="fromPosition"/> on, then live,
    /// in log order. Resume after a disconnect by passing the last position seen plus one.
    /// </summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="saga">One saga, or null for all of the tenant's.</param>
    /// <param name="fromPosition">The first log position to return.</param>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <exception cref="SymphainyException"><c>events.invalid_position</c> when <paramref name="fromPosition"/> is below 1.</exception>
    IAsyncEnumerable<ExecutionEvent> WatchAsync(TenantId tenant, SagaId? saga, long fromPosition, CancellationToken cancellationToken = default);

    /// <summary>
    /// Completes when no saga can make progress without something from outside (a timer coming due, a signal, a
    /// submission) and every recorded event was published. With a fake <see cref="TimeProvider"/>, tests advance
    /// the clock and await this instead of polling or sleeping.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task WhenIdleAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Drains this host before it stops: intake refuses new intents from now on (<c>host.stopping</c>), no new step
    /// starts, and the steps already running are given until <paramref name="deadline"/> to finish and be recorded.
    /// A saga reaching its next step is suspended, recording nothing; a saga waiting for a timer or a signal stays as it
    /// is; all of them resume on the next start. The host's stop follows (a step still running then is cancelled and
    /// runs again after the restart).
    /// </summary>
    /// <param name="deadline">How long the running steps are given, on the engine's clock.</param>
    /// <param name="cancellationToken">Stops waiting (the drain itself stays in force).</param>
    /// <returns>How many sagas were still busy when the deadline passed (0 when everything drained).</returns>
    Task<int> DrainAsync(TimeSpan deadline, CancellationToken cancellationToken = default);

    /// <summary>
    /// The sagas not ended that this host knows (runs, waits for, or watches), of one tenant or of all: for operators
    /// and the platform's own governance (stuck-saga detection). Each snapshot says when this host last saw it make
    /// progress (<see cref="SagaSnapshot.LastProgressAt"/>).
    /// </summary>
    /// <param name="tenant">One tenant's; null for every tenant's.</param>
    /// <returns>Their snapshots, in no particular order.</returns>
    IReadOnlyList<SagaSnapshot> ListActive(TenantId? tenant = null);

    /// <summary>
    /// Forgets an ended saga this host keeps in memory for queries (<see cref="SagaOptions.EndedSagasKept"/>), its output
    /// bytes overwritten: for erasure. A saga not ended is not forgotten. The log and the state graph are not touched.
    /// </summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="saga">The saga id.</param>
    /// <returns>Whether this host kept the ended saga and forgot it now.</returns>
    bool ForgetEnded(TenantId tenant, SagaId saga);
}

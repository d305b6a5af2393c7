using Symphainy.Wal;

namespace Symphainy.Sagas.Internal;

/// <summary>What a <see cref="SagaContext"/> needs from the engine that runs it.</summary>
internal interface ISagaHost
{
    IServiceProvider Services { get; }

    TimeProvider Time { get; }

    IRandomSource Random { get; }

    /// <summary>Cancelled when the host stops: waits end without recording anything, to resume after restart.</summary>
    CancellationToken Stopping { get; }

    /// <summary>
    /// Whether the host is going away (stop requested, or its services disposed). A failure seen then is not
    /// recorded: the saga suspends and resumes on the next start.
    /// </summary>
    bool IsStopping { get; }

    bool IsDraining { get; }

    /// <summary>Appends a record of the saga; durable when it returns. Throws <see cref="SagaSuspendedException"/> when the host is going away.</summary>
    ValueTask RecordAsync(SagaRun run, WalRecordKind kind, byte[] payload);

    /// <summary>Whether any step policy is registered (otherwise steps skip the check altogether).</summary>
    bool HasStepPolicies { get; }

    /// <summary>Runs the step policies for a step about to run; throws to refuse it.</summary>
    ValueTask AuthorizeStepAsync(SagaRun run, string step, CancellationToken cancellationToken);

    /// <summary>
    /// Awaits a wait (a timer, a signal, a backoff) during which the saga does not count as busy. Cancelling
    /// <paramref name="cancellation"/> (the token the wait observes) ends the wait.
    /// </summary>
    Task ParkAsync(Task wait, CancellationToken cancellation);
}

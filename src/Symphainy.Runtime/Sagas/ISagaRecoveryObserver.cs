namespace Symphainy.Sagas;

/// <summary>Hooks around recovery: register any number with <c>services.AddSingleton&lt;ISagaRecoveryObserver, T&gt;()</c>.</summary>
public interface ISagaRecoveryObserver
{
    /// <summary>Called before an unfinished saga is replayed and resumed after a restart.</summary>
    /// <param name="saga">The saga as recorded.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    ValueTask BeforeResumeAsync(SagaSnapshot saga, CancellationToken cancellationToken);

    /// <summary>Called once the saga caught up with its record and runs again.</summary>
    /// <param name="saga">The saga.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    ValueTask AfterResumeAsync(SagaSnapshot saga, CancellationToken cancellationToken);

    /// <summary>
    /// Called when a saga cannot run: its definition or version is missing, or replay found non-deterministic
    /// code. The saga stays unfinished in the log and resumes on a later start once the cause is fixed.
    /// </summary>
    /// <param name="saga">The saga.</param>
    /// <param name="problem">Why it cannot run.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    ValueTask OnPoisonAsync(SagaSnapshot saga, SymphainyException problem, CancellationToken cancellationToken);
}

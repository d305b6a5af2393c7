using Symphainy.Sagas;

namespace Symphainy.Intake;

/// <summary>Where intake's state of the host comes from, and where it hands accepted intents.</summary>
internal interface ISagaLauncher
{
    /// <summary>Whether the host is not started, recovering, open for work, or stopping.</summary>
    LauncherState State { get; }

    /// <summary>Completes when recovery finished (idempotency keys and sessions restored).</summary>
    Task Ready { get; }

    /// <summary>
    /// Says that the <c>IntentReceived</c> record of <paramref name="saga"/> is being appended here, until
    /// <see cref="Launch"/> or <see cref="Unreserve"/>: on a shared log the record can be read before its append
    /// answers, and the host's takeover scan must not take for another host's a saga this host is about to start.
    /// </summary>
    void Reserve(TenantId tenant, SagaId saga);

    /// <summary>Ends a <see cref="Reserve"/> whose append failed (the record may still have landed; then the takeover scan finds it).</summary>
    void Unreserve(TenantId tenant, SagaId saga);

    /// <summary>
    /// Starts the saga of an intent whose <c>IntentReceived</c> record is durable at <paramref name="position"/>;
    /// <paramref name="boundInput"/> is its input as intake bound it (null to read it from <paramref name="input"/>).
    /// </summary>
    void Launch(SagaId saga, TenantId tenant, SessionId? session, IntentId intent, SagaDefinition definition, ReadOnlyMemory<byte> input, long position, object? boundInput);
}

/// <summary>The host's state as intake sees it.</summary>
internal enum LauncherState
{
    NotStarted,
    Recovering,
    Open,
    Stopping,
}

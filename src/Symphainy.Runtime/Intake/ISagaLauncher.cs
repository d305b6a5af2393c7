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
    /// Starts the saga of an intent whose <c>IntentReceived</c> record is durable at <paramref name="position"/>;
    /// <paramref name="boundInput"/> is its input as intake bound it (null to read it from <paramref name="input"/>);
    /// <paramref name="metadata"/> what was recorded with the intent (its trace context and policies' annotations too).
    /// </summary>
    void Launch(SagaId saga, TenantId tenant, SessionId? session, IntentId intent, string intentType, SagaDefinition definition, ReadOnlyMemory<byte> input, long position, object? boundInput, IReadOnlyDictionary<string, string>? metadata);
}

/// <summary>The host's state as intake sees it.</summary>
internal enum LauncherState
{
    NotStarted,
    Recovering,
    Open,
    Stopping,
}

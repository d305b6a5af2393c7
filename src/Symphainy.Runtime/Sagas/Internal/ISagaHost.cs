using Symphainy.Events;
using Symphainy.Wal;

namespace Symphainy.Sagas.Internal;

/// <summary>What a <see cref="SagaContext"/> needs from its engine.</summary>
internal interface ISagaHost
{
    IServiceProvider Services { get; }

    TimeProvider Time { get; }

    IRandomSource Random { get; }

    /// <summary>Cancelled when the host stops: waits end without recording anything, to resume after restart.</summary>
    CancellationToken Stopping { get; }

    /// <summary>Appends a record of the saga (durable when it returns) and publishes the matching event.</summary>
    ValueTask RecordAsync(SagaRun run, WalRecordKind kind, byte[] payload, ExecutionEventKind eventKind, string? step);

    /// <summary>Publishes a state change that has no record of its own (waiting, compensating).</summary>
    ValueTask PublishAsync(SagaRun run, ExecutionEventKind eventKind, string? step);
}

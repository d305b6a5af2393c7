namespace Symphainy.Wal.Internal;

/// <summary>
/// A part of the Runtime that rebuilds its state from the log at start (unfinished sagas, idempotency keys,
/// sessions). The log is read once; every participant sees every record, in order, then completes.
/// </summary>
internal interface IRecoveryParticipant
{
    /// <summary>Sees one record of the log, in order.</summary>
    void Observe(WalRecord record);

    /// <summary>Called once the whole log was read: restore what was gathered.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);
}

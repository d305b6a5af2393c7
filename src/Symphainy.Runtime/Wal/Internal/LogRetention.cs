using Microsoft.Extensions.Logging;

namespace Symphainy.Wal.Internal;

/// <summary>
/// Checkpoints the log at the lowest position any retention hold (unfinished sagas, the event publisher, the graph
/// projector, open sessions) and every append whose record its owner does not hold yet (<see cref="AppendsInFlight"/>)
/// still needs: on request, and by itself every <see cref="CheckpointEvery"/> ended sagas.
/// </summary>
internal sealed partial class LogRetention(IWriteAheadLog wal, AppendsInFlight appends, IEnumerable<IWalRetentionHold> holds, ILogger<LogRetention> logger) : IWalRetention
{
    /// <summary>How many sagas end between automatic checkpoints.</summary>
    public const int CheckpointEvery = 256;

    private readonly IWalRetentionHold[] _holds = holds.ToArray();
    private long _ended;

    public ValueTask<long> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        // Appends in flight first: a record passes from its reservation to its owner's hold (the saga store, the
        // session registry), never back, so reading the owners after the reservations cannot miss it in between.
        var from = Math.Min(wal.NextPosition, appends.RetainFrom);
        foreach (var hold in _holds)
        {
            from = Math.Min(from, hold.RetainFrom);
        }

        return wal.CheckpointAsync(from, cancellationToken);
    }

    /// <summary>Counts an ended saga; every <see cref="CheckpointEvery"/>th checkpoints (failures only logged).</summary>
    public ValueTask OnSagaEndedAsync(CancellationToken cancellationToken) =>
        Interlocked.Increment(ref _ended) % CheckpointEvery == 0 ? CheckpointQuietlyAsync(cancellationToken) : ValueTask.CompletedTask;

    private async ValueTask CheckpointQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException or ObjectDisposedException or SymphainyException)
        {
            // Retention is housekeeping: a failed checkpoint keeps more log, it loses nothing.
            LogCheckpointFailed(logger, e);
        }
    }

    [LoggerMessage(14, LogLevel.Warning, "Write-ahead log checkpoint failed; the log keeps more records until the next one")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);
}

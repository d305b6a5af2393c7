using Microsoft.Extensions.Logging;

namespace Symphainy.Wal.Internal;

/// <summary>
/// Checkpoints the log at the lowest position any retention hold (unfinished sagas, the event publisher, the graph
/// projector, open sessions) still needs: on request, and by itself every <see cref="CheckpointEvery"/> ended sagas.
/// </summary>
internal sealed partial class LogRetention(IWriteAheadLog wal, IEnumerable<IWalRetentionHold> holds, ILogger<LogRetention> logger) : IWalRetention
{
    /// <summary>How many sagas end between automatic checkpoints.</summary>
    public const int CheckpointEvery = 256;

    private readonly IWalRetentionHold[] _holds = holds.ToArray();
    private long _ended;

    public ValueTask<long> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        var from = wal.NextPosition;
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

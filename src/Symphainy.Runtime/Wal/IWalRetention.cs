namespace Symphainy.Wal;

/// <summary>
/// Lets the log remove what no reader needs any more. The Runtime checkpoints by itself as sagas end; call this to
/// checkpoint now (after a bulk import, before a backup).
/// </summary>
public interface IWalRetention
{
    /// <summary>Checkpoints the log at the lowest position any <see cref="IWalRetentionHold"/> still needs.</summary>
    /// <param name="cancellationToken">Cancels the checkpoint.</param>
    /// <returns>The log's first position after the checkpoint.</returns>
    ValueTask<long> CheckpointAsync(CancellationToken cancellationToken = default);
}

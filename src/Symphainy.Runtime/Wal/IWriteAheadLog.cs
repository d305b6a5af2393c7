namespace Symphainy.Wal;

/// <summary>
/// The append-only, checksummed record of everything the Runtime did: intents received, sagas started,
/// steps completed, agent outputs, signals and ends. A record is appended before its effects become
/// visible, so the log is the source of truth that recovery replays.
/// </summary>
/// <remarks>
/// Positions start at 1 and increase by one per record with no gaps. An append's task completes only
/// once the record is as durable as the log's durability setting promises; a record whose append has
/// completed is never lost, and a record whose append did not complete is either wholly present or
/// wholly absent after a crash. Readers only ever see durable records.
/// </remarks>
public interface IWriteAheadLog
{
    /// <summary>The position the next appended record will get.</summary>
    long NextPosition { get; }

    /// <summary>
    /// The lowest position still readable: 1, or the first record kept after retention removed older ones.
    /// </summary>
    long FirstPosition { get; }

    /// <summary>Appends a record and completes once it is durable.</summary>
    /// <param name="entry">The record.</param>
    /// <param name="cancellationToken">Cancels waiting; the record may still be appended.</param>
    /// <returns>The record's position.</returns>
    ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Reads the durable records from <paramref name="fromPosition"/> to the current end, in order.</summary>
    /// <param name="fromPosition">The first position to return; below <see cref="FirstPosition"/> fails with <c>wal.position_truncated</c>.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads from <paramref name="fromPosition"/> and then follows the tail: each record is returned once it is
    /// durable, until <paramref name="cancellationToken"/> is cancelled or the log is disposed.
    /// </summary>
    /// <param name="fromPosition">The first position to return.</param>
    /// <param name="cancellationToken">Ends the subscription.</param>
    IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, CancellationToken cancellationToken = default);

    /// <summary>
    /// Declares that no record below <paramref name="position"/> is needed any more (every saga in them has
    /// ended and they are projected). Whole sealed segments below it are deleted or archived; the log never
    /// removes a record at or above it.
    /// </summary>
    /// <param name="position">The lowest position still needed.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new <see cref="FirstPosition"/>.</returns>
    ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default);
}

using System.Runtime.CompilerServices;

namespace Symphainy.Wal.Internal;

/// <summary>The tail-following read shared by every log: catch up, then wait for the next commit.</summary>
internal static class WalTail
{
    public static async IAsyncEnumerable<WalRecord> FollowAsync(
        IWriteAheadLog log,
        CommitSignal signal,
        Func<bool> isClosed,
        long fromPosition,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = fromPosition;
        while (!cancellationToken.IsCancellationRequested)
        {
            var committed = signal.Next;
            await foreach (var record in log.ReadAsync(next, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
                next = record.Position + 1;
            }

            if (next < log.NextPosition)
            {
                continue;
            }

            if (isClosed())
            {
                yield break;
            }

            try
            {
                await committed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
        }
    }
}

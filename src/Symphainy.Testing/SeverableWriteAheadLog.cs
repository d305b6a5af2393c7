using System.Runtime.CompilerServices;
using Symphainy.Wal;

namespace Symphainy.Testing;

/// <summary>
/// One host generation's view of the test host's durable log. <see cref="SeverAsync"/> is the crash: from that moment nothing
/// this host does reaches the log (appends fail, reads and subscriptions end), exactly as if its process had died.
/// </summary>
internal sealed class SeverableWriteAheadLog(IWriteAheadLog inner) : IWriteAheadLog, IDisposable
{
    private readonly CancellationTokenSource _severed = new();
    private int _inFlight;
    private TaskCompletionSource? _drained;

    public long NextPosition => inner.NextPosition;

    public long FirstPosition => inner.FirstPosition;

    public bool IsSevered => _severed.IsCancellationRequested;

    public async ValueTask<long> AppendAsync(WalEntry entry, CancellationToken cancellationToken = default)
    {
        Enter();
        try
        {
            return await inner.AppendAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Leave();
        }
    }

    public async IAsyncEnumerable<WalRecord> ReadAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfSevered();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _severed.Token);
        await foreach (var record in inner.ReadAsync(fromPosition, linked.Token).ConfigureAwait(false))
        {
            ThrowIfSevered();
            yield return record;
        }
    }

    public async IAsyncEnumerable<WalRecord> SubscribeAsync(long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfSevered();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _severed.Token);
        await foreach (var record in inner.SubscribeAsync(fromPosition, linked.Token).ConfigureAwait(false))
        {
            ThrowIfSevered();
            yield return record;
        }
    }

    public ValueTask<long> CheckpointAsync(long position, CancellationToken cancellationToken = default)
    {
        ThrowIfSevered();
        return inner.CheckpointAsync(position, cancellationToken);
    }

    /// <summary>Cuts this host off the log; completes once the appends already handed to the log have finished (landed or not).</summary>
    public Task SeverAsync()
    {
        TaskCompletionSource drained;
        lock (_severed)
        {
            _severed.Cancel();
            if (_inFlight == 0)
            {
                return Task.CompletedTask;
            }

            drained = _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return drained.Task;
    }

    public void Dispose() => _severed.Dispose();

    private void Enter()
    {
        lock (_severed)
        {
            ThrowIfSevered();
            _inFlight++;
        }
    }

    private void Leave()
    {
        lock (_severed)
        {
            if (--_inFlight == 0)
            {
                _drained?.TrySetResult();
            }
        }
    }

    private void ThrowIfSevered()
    {
        if (_severed.IsCancellationRequested)
        {
            throw new SymphainyException(ErrorCodes.WalClosed, "This test host was killed: its log is cut off, as if its process had died.");
        }
    }
}

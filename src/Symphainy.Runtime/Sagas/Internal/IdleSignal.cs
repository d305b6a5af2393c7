using Symphainy.Wal.Internal;

namespace Symphainy.Sagas.Internal;

/// <summary>Wakes waiters whenever something they wait on may have changed; they check their condition again.</summary>
internal sealed class IdleSignal
{
    // The log's own wake-up signal: a pulse with nobody waiting costs a field read, so sagas going idle under load
    // (most of them, one by one) allocate nothing.
    private readonly CommitSignal _changed = new();

    public void Pulse() => _changed.Pulse();

    public async Task WaitAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = _changed.Next;
            if (condition())
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

namespace Symphainy.Wal.Internal;

/// <summary>
/// Wakes every tail reader when new records become durable, without a lost wake-up. A pulse with nobody
/// waiting costs one read of a field, so appends pay nothing when no one follows the tail.
/// </summary>
internal sealed class CommitSignal
{
    private TaskCompletionSource? _next;

    /// <summary>A task that completes at the next <see cref="Pulse"/>; take it before checking for new records.</summary>
    public Task Next
    {
        get
        {
            var current = Volatile.Read(ref _next);
            if (current is not null)
            {
                return current.Task;
            }

            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return (Interlocked.CompareExchange(ref _next, created, null) ?? created).Task;
        }
    }

    public void Pulse()
    {
        if (Volatile.Read(ref _next) is not null)
        {
            Interlocked.Exchange(ref _next, null)?.TrySetResult();
        }
    }
}

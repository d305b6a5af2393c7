namespace Symphainy.PublicWorks.Redis;

/// <summary>
/// Wakes whoever waits for "something new" (a publish from the server): take <see cref="Next"/> before looking, and a
/// <see cref="Pulse"/> after the look is never missed.
/// </summary>
internal sealed class WakeSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Pulse"/>.</summary>
    public Task Next
    {
        get
        {
            lock (_gate)
            {
                return _next.Task;
            }
        }
    }

    /// <summary>Wakes every waiter of <see cref="Next"/>.</summary>
    public void Pulse()
    {
        TaskCompletionSource woken;
        lock (_gate)
        {
            woken = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        woken.TrySetResult();
    }
}

using System.Collections.Concurrent;

namespace Symphainy.Sagas.Internal;

/// <summary>
/// Runs tasks on the thread pool with at most a given number running at once, without a lock: a lock-free queue
/// and a count of workers. It replaces <see cref="ConcurrentExclusiveSchedulerPair"/>, whose one lock every queued
/// continuation took was, under load on two cores, about a sixth of the in-memory engine's time. Each worker takes
/// a bounded batch and then queues itself again behind the pool's other work (the log's writer among it), so a
/// flood of saga continuations cannot keep the pool to itself.
/// </summary>
internal sealed class BoundedTaskScheduler : TaskScheduler
{
    private const int BatchSize = 64;

    [ThreadStatic]
    private static BoundedTaskScheduler? t_running;

    private readonly ConcurrentQueue<Task> _queue = new();
    private readonly int _maximum;
    private readonly Action<object?> _work;
    private int _workers;

    public BoundedTaskScheduler(int maximumConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumConcurrency, 1);
        _maximum = maximumConcurrency;
        _work = _ => Work();
    }

    /// <inheritdoc/>
    public override int MaximumConcurrencyLevel => _maximum;

    /// <inheritdoc/>
    protected override void QueueTask(Task task)
    {
        _queue.Enqueue(task);
        TryAddWorker();
    }

    /// <inheritdoc/>
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        // Inline only on one of this scheduler's own workers, where it counts against the limit already.
        t_running == this && !taskWasPreviouslyQueued && TryExecuteTask(task);

    /// <inheritdoc/>
    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void TryAddWorker()
    {
        while (true)
        {
            var workers = Volatile.Read(ref _workers);
            if (workers >= _maximum)
            {
                return; // a running worker takes it: it checks the queue again before it stops
            }

            if (Interlocked.CompareExchange(ref _workers, workers + 1, workers) == workers)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_work, null, preferLocal: false);
                return;
            }
        }
    }

    private void Work()
    {
        t_running = this;
        try
        {
            for (var done = 0; done < BatchSize && _queue.TryDequeue(out var task); done++)
            {
                TryExecuteTask(task);
            }
        }
        finally
        {
            t_running = null;
        }

        // Give the worker up, then look again: a task queued while this worker was finishing found the count at the
        // limit and relies on some worker to run it.
        Interlocked.Decrement(ref _workers);
        if (!_queue.IsEmpty)
        {
            TryAddWorker();
        }
    }
}

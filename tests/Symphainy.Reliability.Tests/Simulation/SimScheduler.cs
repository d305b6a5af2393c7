namespace Symphainy.Reliability.Tests.Simulation;

/// <summary>
/// The simulator's only worker: a task scheduler that runs nothing by itself. Every task queued to it (orchestrator
/// code, its continuations, the simulated callers) waits until the simulator picks it, with its seeded random, among
/// all runnable ones, and runs it on the simulator's thread. Once the incarnation it belongs to crashed, it drops
/// whatever is queued to it: those continuations die with the simulated process.
/// </summary>
internal sealed class SimScheduler : TaskScheduler
{
    private readonly Lock _gate = new();
    private readonly List<Task> _ready = [];
    private readonly List<(int Tag, int Sequence, Task Task)> _foreign = [];
    private readonly int _simThread;
    private bool _dead;

    public SimScheduler(int simThread) => _simThread = simThread;

    /// <summary>Tasks queued from a thread other than the simulator's (runtime code that hopped to the thread pool).</summary>
    public int ForeignQueued { get; private set; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ready.Count;
            }
        }
    }

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>The process died: queued and later continuations are dropped.</summary>
    public void Kill()
    {
        lock (_gate)
        {
            _dead = true;
            _ready.Clear();
            _foreign.Clear();
        }
    }

    /// <summary>Moves the tasks other threads queued since the last call into the runnable ones, ordered by actor.</summary>
    public int Absorb()
    {
        lock (_gate)
        {
            var count = _foreign.Count;
            if (count == 0)
            {
                return 0;
            }

            _ready.AddRange(_foreign.OrderBy(f => f.Tag).ThenBy(f => f.Sequence).Select(f => f.Task));
            _foreign.Clear();
            return count;
        }
    }

    /// <summary>Runs one runnable task, chosen by <paramref name="choose"/> among the queued ones (in queue order).</summary>
    public bool RunOne(Func<int, int> choose)
    {
        Task task;
        lock (_gate)
        {
            if (_ready.Count == 0)
            {
                return false;
            }

            var index = choose(_ready.Count);
            task = _ready[index];
            _ready.RemoveAt(index);
        }

        TryExecuteTask(task);
        return true;
    }

    protected override void QueueTask(Task task)
    {
        lock (_gate)
        {
            if (_dead)
            {
                return;
            }

            if (Environment.CurrentManagedThreadId != _simThread)
            {
                // Arrivals from other threads wait until the simulator absorbs them, in an order that does not depend
                // on which thread was first: by the simulated actor whose flow queued them.
                ForeignQueued++;
                _foreign.Add((SimTag.Current, _foreign.Count, task));
                return;
            }

            _ready.Add(task);
        }
    }

    // Never inline: every continuation is a separate choice of the simulator.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_gate)
        {
            return [.. _ready];
        }
    }
}

/// <summary>
/// Knows whether code of the simulation runs on a thread other than the simulator's: a value of the simulation's
/// execution context flows into every continuation, and its change notifications count the threads that run with
/// it. A few paths of the Runtime hop to the thread pool (a token cancelled with <c>CancelAsync</c>, a completion
/// source that runs its continuations asynchronously, awaited without the scheduler's context); the simulator
/// waits for them to settle before its next choice, so they cannot race with it.
/// </summary>
internal static class ForeignWork
{
    private static readonly AsyncLocal<object?> Marker = new(OnChanged);
    private static int s_simThread = -1;
    private static int s_active;
    private static int s_baseline;

    /// <summary>Threads other than the simulator's now running simulation code.</summary>
    public static int Active => Volatile.Read(ref s_active);

    /// <summary>Marks the calling thread as the simulator's and its execution context as the simulation's.</summary>
    public static void Enter()
    {
        s_simThread = Environment.CurrentManagedThreadId;
        Marker.Value = new object();

        // Pool threads busy with something else the whole time (the test runner's thread waiting for the simulation's):
        // the fewest seen over a moment.
        var fewest = int.MaxValue;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromMilliseconds(20) || fewest == int.MaxValue)
        {
            if (ThreadPool.PendingWorkItemCount == 0)
            {
                fewest = Math.Min(fewest, Busy());
            }

            Thread.Yield();
        }

        s_baseline = fewest;
    }

    public static void Leave() => Marker.Value = null;

    /// <summary>
    /// Waits until no other thread runs simulation code, the thread pool has nothing queued and none of its threads is
    /// busy (an item already taken from the queue has not entered the simulation's context yet, but its thread counts as
    /// busy), seen <paramref name="quietChecks"/> times in a row. Returns false if that did not happen within
    /// <paramref name="limit"/>.
    /// </summary>
    public static bool Settle(int quietChecks, TimeSpan limit)
    {
        long started = 0;
        var calm = 0;
        var spin = new SpinWait();
        while (true)
        {
            if (Quiet())
            {
                if (++calm >= quietChecks)
                {
                    return true;
                }
            }
            else
            {
                calm = 0;
                if (started == 0)
                {
                    started = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                else if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > limit)
                {
                    return false;
                }
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    public static bool IsQuiet => Quiet();

    private static bool Quiet()
    {
        if (Active != 0 || ThreadPool.PendingWorkItemCount != 0)
        {
            return false;
        }

        return Busy() <= s_baseline;
    }

    private static int Busy()
    {
        ThreadPool.GetMaxThreads(out var maxWorkers, out _);
        ThreadPool.GetAvailableThreads(out var availableWorkers, out _);
        return maxWorkers - availableWorkers;
    }

    private static void OnChanged(AsyncLocalValueChangedArgs<object?> change)
    {
        if (!change.ThreadContextChanged || Environment.CurrentManagedThreadId == Volatile.Read(ref s_simThread))
        {
            return;
        }

        if (change.PreviousValue is null && change.CurrentValue is not null)
        {
            Interlocked.Increment(ref s_active);
        }
        else if (change.PreviousValue is not null && change.CurrentValue is null)
        {
            Interlocked.Decrement(ref s_active);
        }
    }
}

/// <summary>The simulated actor (a caller, or the simulator itself as 0) whose flow is running.</summary>
internal static class SimTag
{
    private static readonly AsyncLocal<int> Tag = new();

    public static int Current => Tag.Value;

    public static void Set(int tag) => Tag.Value = tag;
}

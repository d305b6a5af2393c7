using Microsoft.Extensions.Options;
using Symphainy.Configuration;

namespace Symphainy.Sagas;

/// <summary>
/// The worker pool orchestrators run on. Replace it (register your own first) to run the engine on a
/// deterministic scheduler in a simulation.
/// </summary>
public sealed class SagaScheduler
{
    /// <summary>Wraps a scheduler.</summary>
    /// <param name="scheduler">Runs orchestrator code and its continuations.</param>
    public SagaScheduler(TaskScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        Scheduler = scheduler;
    }

    /// <summary>The default pool: at most <c>Symphainy:Sagas:MaxParallelism</c> continuations at once on the thread pool.</summary>
    /// <param name="options">The platform options.</param>
    public SagaScheduler(IOptions<SymphainyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var parallelism = options.Value.Sagas.MaxParallelism is > 0 and var p ? p : Environment.ProcessorCount;
        Scheduler = new Internal.BoundedTaskScheduler(parallelism);
    }

    /// <summary>The scheduler.</summary>
    public TaskScheduler Scheduler { get; }
}

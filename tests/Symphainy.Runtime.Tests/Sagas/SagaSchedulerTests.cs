using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Sagas;

namespace Symphainy.Runtime.Tests.Sagas;

public sealed class SagaSchedulerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_default_pool_never_runs_more_than_its_limit_at_once_and_runs_every_task(int limit)
    {
        var scheduler = new SagaScheduler(Options.Create(new SymphainyOptions { Sagas = { MaxParallelism = limit } })).Scheduler;
        scheduler.MaximumConcurrencyLevel.Should().Be(limit);
        var running = 0;
        var peak = 0;
        var ran = 0;
        const int Tasks = 2_000;

        // Many producers at once, tasks that hold their worker a moment, and continuations queued from inside the
        // pool: a worker that gives up as a task is queued must not leave that task behind.
        var queued = Enumerable.Range(0, Tasks).AsParallel().Select(i => Task.Factory.StartNew(async () =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            Thread.SpinWait(i % 7 * 50);
            Interlocked.Decrement(ref running);
            await Task.Yield(); // comes back through the same scheduler
            now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            Interlocked.Decrement(ref running);
            Interlocked.Increment(ref ran);
        }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler).Unwrap()).ToArray();

        await Task.WhenAll(queued).WaitAsync(TimeSpan.FromSeconds(60));
        ran.Should().Be(Tasks);
        peak.Should().BeLessThanOrEqualTo(limit).And.BeGreaterThan(0);
    }

    [Fact]
    public void By_default_the_pool_runs_one_worker_per_processor()
    {
        var scheduler = new SagaScheduler(Options.Create(new SymphainyOptions())).Scheduler;
        scheduler.MaximumConcurrencyLevel.Should().Be(Environment.ProcessorCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

using System.Diagnostics;

namespace Symphainy.LoadHarness;

/// <summary>
/// Runs N concurrent async loops, each awaiting one operation after another for a fixed time, and reports
/// throughput, latency percentiles and the bytes allocated per operation.
/// </summary>
internal static class Measurement
{
    private static readonly double NanosecondsPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    /// <summary>Warms up for <paramref name="warmup"/>, then measures for <paramref name="duration"/>.</summary>
    public static async Task<ResultRow> RunAsync(
        string scenario, string variant, int concurrency, TimeSpan warmup, TimeSpan duration, Func<ValueTask<long>> operation)
    {
        await LoopAsync(concurrency, warmup, operation, histograms: null);

        // Everything the measurement itself needs is allocated before the allocation counter is read.
        var histograms = Enumerable.Range(0, concurrency).Select(_ => new LatencyHistogram()).ToArray();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var elapsed = await LoopAsync(concurrency, duration, operation, histograms);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        var all = new LatencyHistogram();
        foreach (var histogram in histograms)
        {
            all.Add(histogram);
        }

        var operations = all.Count;
        return new ResultRow(
            scenario,
            variant,
            concurrency,
            operations,
            operations / elapsed.TotalSeconds,
            all.PercentileMicros(0.50),
            all.PercentileMicros(0.99),
            all.PercentileMicros(0.999),
            operations == 0 ? 0 : (double)allocated / operations);
    }

    private static async Task<TimeSpan> LoopAsync(int concurrency, TimeSpan duration, Func<ValueTask<long>> operation, LatencyHistogram[]? histograms)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            var histogram = histograms?[i];
            workers[i] = Task.Run(async () =>
            {
                // One long-lived async loop per writer: its state machine is allocated once, and awaiting the
                // operation's ValueTask directly adds nothing per operation beyond what the operation allocates.
                while (true)
                {
                    var before = Stopwatch.GetTimestamp();
                    if (before >= deadline)
                    {
                        return;
                    }

                    await operation();
                    histogram?.Record((long)((Stopwatch.GetTimestamp() - before) * NanosecondsPerTick));
                }
            });
        }

        await Task.WhenAll(workers);
        return Stopwatch.GetElapsedTime(start);
    }
}

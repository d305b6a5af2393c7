using System.Diagnostics;

namespace Symphainy.LoadHarness;

/// <summary>Runs N concurrent async loops for a fixed time and reports throughput, latency and allocations.</summary>
internal static class Measurement
{
    public static async Task<ResultRow> RunAsync(string scenario, string variant, int concurrency, TimeSpan warmup, TimeSpan duration, Func<int, ValueTask> operation)
    {
        await LoopAsync(concurrency, warmup, operation, record: false);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (latencies, elapsed) = await LoopAsync(concurrency, duration, operation, record: true);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1_000_000.0 / Stopwatch.Frequency;
        return new ResultRow(scenario, variant, concurrency, all.Length, all.Length / elapsed.TotalSeconds,
            Percentile(0.50), Percentile(0.99), Percentile(0.999), all.Length == 0 ? 0 : (double)allocated / all.Length);
    }

    private static async Task<(List<long>[] Latencies, TimeSpan Elapsed)> LoopAsync(int concurrency, TimeSpan duration, Func<int, ValueTask> operation, bool record)
    {
        var latencies = Enumerable.Range(0, concurrency).Select(_ => new List<long>(record ? 1 << 16 : 0)).ToArray();
        var clock = Stopwatch.StartNew();
        var end = duration;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var own = latencies[worker];
            while (clock.Elapsed < end)
            {
                var start = Stopwatch.GetTimestamp();
                await operation(worker);
                if (record)
                {
                    own.Add(Stopwatch.GetTimestamp() - start);
                }
            }
        })));
        return (latencies, clock.Elapsed);
    }
}

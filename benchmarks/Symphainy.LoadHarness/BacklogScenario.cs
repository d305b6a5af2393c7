using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.LoadHarness;

/// <summary>
/// Does the in-memory engine get its rate back after a backlog? The <c>saga</c> scenario's 3-step saga closed-loop,
/// then intents offered at twice that rate for two seconds (a backlog of hundreds of thousands of sagas, every one
/// awaited to its end), then the closed loop again on the same host. An engine whose structures grew with the backlog
/// and are walked on its hot path runs slower for good afterwards (the live-saga store's retention position once did:
/// half the rate after a backlog of a million sagas).
/// </summary>
internal sealed class BacklogScenario : IScenario
{
    private const double OverloadFactor = 2;
    private static readonly TimeSpan OverloadTime = TimeSpan.FromSeconds(2);
    private readonly List<string> _notes = [];

    public string Name => "backlog";

    public string Description => "in-memory sagas/s before and after a backlog of twice the peak rate for 2 s";

    public IReadOnlyList<Baseline> Baselines { get; } = [new("before-backlog", ["symphainy-inmemory-before-backlog"])];

    public async Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options)
    {
        var concurrency = options.Writers.Max();
        var directory = WorkDirectory.Fresh(options, "backlog");
        var rows = new List<ResultRow>();
        using (var host = await SagaScenario.StartHostAsync(directory, durable: false))
        {
            var intake = host.Services.GetRequiredService<IIntentIntake>();
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            var payload = JsonSerializer.SerializeToElement(new SagaScenario.ThreeStepInput("x"));
            Task<ResultRow> ClosedLoopAsync(string variant) => Measurement.RunAsync(Name, variant, concurrency, options.Warmup, options.Duration,
                async () =>
                {
                    await SagaScenario.RunOneAsync(intake, engine, payload);
                    return 0L;
                });

            // A first closed loop, not kept: the rows compared must both run on compiled, settled code (the first
            // seconds of a process run slower while the tiered compiler works).
            await ClosedLoopAsync("warm-up");
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            rows.Add(await ClosedLoopAsync("symphainy-inmemory-before-backlog"));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  before the backlog: {rows[^1].OpsPerSecond:N0} sagas/s"));

            var rate = rows[^1].OpsPerSecond * OverloadFactor;
            var backlog = new SagaScenario.OpenLoop(rate, OverloadTime);
            var clock = Stopwatch.StartNew();
            await SagaScenario.SendAtRateAsync(intake, engine, payload, rate, backlog);
            var heapAtEnd = GC.GetGCMemoryInfo().HeapSizeBytes;
            _notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"backlog: {backlog.Latencies.Length:N0} intents offered at {rate:N0}/s for {OverloadTime.TotalSeconds:F0} s; the last saga ended after {clock.Elapsed.TotalSeconds:F1} s; heap {heapAtEnd / 1e6:N0} MB when it drained"));
            Console.Error.WriteLine("  " + _notes[^1]);

            rows.Add(await ClosedLoopAsync("symphainy-inmemory-after-backlog"));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  after the backlog: {rows[^1].OpsPerSecond:N0} sagas/s"));
            var retained = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
            _notes.Add(string.Create(CultureInfo.InvariantCulture, $"kept on the heap after the backlog and the second closed loop (full collection): {retained / 1e6:F1} MB more than before"));
            await host.StopAsync();
        }

        WorkDirectory.Delete(directory);
        return rows;
    }

    public IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows)
    {
        foreach (var note in _notes)
        {
            yield return note;
        }

        var before = rows.Single(r => r.Variant == "symphainy-inmemory-before-backlog").OpsPerSecond;
        var after = rows.Single(r => r.Variant == "symphainy-inmemory-after-backlog").OpsPerSecond;
        yield return string.Create(CultureInfo.InvariantCulture,
            $"goal the in-memory rate after a backlog >= 0.8 of the rate before it: {(after >= 0.8 * before ? "PASS" : "MISS")} ({after:N0} against {before:N0} sagas/s, {after / before:F2})");
    }
}

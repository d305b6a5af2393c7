using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Intake;
using Symphainy.Projection;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.LoadHarness;

/// <summary>
/// Does the SQLite projector keep up with the durable log? A host on the <c>services.AddSymphainy()</c> defaults
/// (file log with fsync, SQLite state graph, projector) under full closed-loop durable load of the 3-step saga
/// (<c>--writers</c>' largest count in flight, for <c>--seconds</c>), sampled once per second: records appended to
/// the log, records projected into the graph, and the lag between them. Then the time the projector takes to catch
/// up once the load stops. The lag is bounded when it stops growing: its maximum in the last third of the run is
/// not above the middle third's by more than <see cref="GrowthAllowance"/> plus one second of log (the sampling
/// step: a projector that keeps up still trails by up to a batch or two, more during a burst), and the projector
/// catches up within <see cref="CatchUpLimit"/> after the load.
/// </summary>
internal sealed class ProjectionScenario : IScenario
{
    /// <summary>How much the last third's maximum lag may exceed the middle third's, relatively (plus one second of log).</summary>
    private const double GrowthAllowance = 0.10;

    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CatchUpGiveUp = TimeSpan.FromSeconds(60);
    private static readonly TenantId Tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    private readonly List<Sample> _samples = [];
    private TimeSpan? _catchUp;
    private long _lagAtStop;

    public string Name => "projection";

    public string Description => "SQLite projector vs the durable log at full durable saga load: lag each second, bounded or not (use --seconds 60)";

    // The rows measure different things (sagas, records appended, records projected); the verdict is in the summary.
    public IReadOnlyList<Baseline> Baselines { get; } = [];

    public async Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options)
    {
        var concurrency = options.Writers.Max();
        var directory = WorkDirectory.Fresh(options, "projection");
        var rows = new List<ResultRow>();
        using (var host = await StartHostAsync(directory))
        {
            var intake = host.Services.GetRequiredService<IIntentIntake>();
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            var wal = host.Services.GetRequiredService<IWriteAheadLog>();
            var projector = host.Services.GetRequiredService<StateGraphProjector>();
            var payload = JsonSerializer.SerializeToElement(new SagaScenario.ThreeStepInput("x"));

            using var sampling = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            var (appendedBefore, projectedBefore) = (wal.NextPosition - 1, projector.ProjectedPosition);
            var sampler = SampleAsync(wal, projector, clock, sampling.Token);
            var sagas = await Measurement.RunAsync(Name, "symphainy-durable-sagas", concurrency, TimeSpan.Zero, options.Duration,
                async () =>
                {
                    var accepted = await intake.SubmitAsync(new Intent("bench.three_steps", Tenant, payload));
                    await engine.WaitForEndAsync(Tenant, accepted.Execution);
                    return 0L;
                });
            var loadSeconds = clock.Elapsed.TotalSeconds;
            var (appended, projected) = (wal.NextPosition - 1, projector.ProjectedPosition);
            await sampling.CancelAsync();
            await sampler;
            _lagAtStop = appended - projected;

            var caughtUp = Stopwatch.StartNew();
            while (projector.ProjectedPosition < appended && caughtUp.Elapsed < CatchUpGiveUp)
            {
                await Task.Delay(10);
            }

            _catchUp = projector.ProjectedPosition >= appended ? caughtUp.Elapsed : null;
            rows.Add(sagas);
            rows.Add(Row("log-records-appended", appended - appendedBefore, loadSeconds));
            rows.Add(Row("graph-records-projected", projected - projectedBefore, loadSeconds));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {sagas.OpsPerSecond:N0} durable sagas/s; log {(appended - appendedBefore) / loadSeconds:N0} records/s, graph {(projected - projectedBefore) / loadSeconds:N0} records/s; lag at stop {_lagAtStop:N0}, caught up after {(_catchUp is { } t ? t.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s" : "(not within " + CatchUpGiveUp.TotalSeconds + " s)")}"));
            await host.StopAsync();
        }

        WorkDirectory.Delete(directory);
        return rows;
    }

    public IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows)
    {
        var sagas = rows.Single(r => r.Variant == "symphainy-durable-sagas");
        var appended = rows.Single(r => r.Variant == "log-records-appended");
        var projected = rows.Single(r => r.Variant == "graph-records-projected");
        yield return "lag series (once per second under load; records):";
        yield return "      t      appended     projected   log rec/s graph rec/s          lag";
        var previous = new Sample(TimeSpan.Zero, 0, 0);
        foreach (var sample in _samples)
        {
            var seconds = (sample.At - previous.At).TotalSeconds;
            yield return string.Create(CultureInfo.InvariantCulture,
                $"  {sample.At.TotalSeconds,5:F1} {sample.Appended,13:N0} {sample.Projected,13:N0} {(sample.Appended - previous.Appended) / seconds,11:N0} {(sample.Projected - previous.Projected) / seconds,11:N0} {sample.Lag,12:N0}");
            previous = sample;
        }

        var lags = _samples.Select(s => s.Lag).ToArray();
        var third = lags.Length / 3;
        var middle = third == 0 ? 0 : lags[third..(2 * third)].Max();
        var last = third == 0 ? 0 : lags[(2 * third)..].Max();
        var oneSecondOfLog = (long)appended.OpsPerSecond;
        var limit = (long)(middle * (1 + GrowthAllowance)) + oneSecondOfLog;
        var growthBounded = third > 0 && last <= limit;
        var caughtUp = _catchUp is { } catchUp && catchUp <= CatchUpLimit;
        yield return string.Create(CultureInfo.InvariantCulture,
            $"durable: {sagas.OpsPerSecond:N0} sagas/s at {sagas.Concurrency} in flight (p99 {sagas.P99Micros / 1000:F2} ms); log {appended.OpsPerSecond:N0} records/s, projected {projected.OpsPerSecond:N0} records/s");
        yield return string.Create(CultureInfo.InvariantCulture,
            $"lag: max {(lags.Length == 0 ? 0 : lags.Max()):N0}, middle third max {middle:N0}, last third max {last:N0}, trend over the last two thirds {Trend(_samples.Skip(third).ToArray()):+#,0;-#,0;0} records/s, at load stop {_lagAtStop:N0}, final {(_catchUp is null ? _lagAtStop : 0):N0} after catching up in {(_catchUp is { } t ? t.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s" : "more than " + CatchUpGiveUp.TotalSeconds + " s")}");
        yield return string.Create(CultureInfo.InvariantCulture,
            $"goal lag bounded (last third max <= {1 + GrowthAllowance:F2} x middle third max + 1 s of log, caught up <= {CatchUpLimit.TotalSeconds:F0} s after load): {(growthBounded && caughtUp ? "PASS" : "MISS")} ({last:N0} vs limit {limit:N0}; {(third == 0 ? "too few samples; run longer; " : "")}catch-up {(caughtUp ? "in time" : "too slow")})");
    }

    /// <summary>The least-squares slope of the lag over time: how fast it grows (or shrinks), in records per second.</summary>
    private static double Trend(Sample[] samples)
    {
        if (samples.Length < 2)
        {
            return 0;
        }

        var meanT = samples.Average(s => s.At.TotalSeconds);
        var meanLag = samples.Average(s => (double)s.Lag);
        var covariance = samples.Sum(s => (s.At.TotalSeconds - meanT) * (s.Lag - meanLag));
        var variance = samples.Sum(s => (s.At.TotalSeconds - meanT) * (s.At.TotalSeconds - meanT));
        return variance == 0 ? 0 : covariance / variance;
    }

    private static ResultRow Row(string variant, long records, double seconds) =>
        new("projection", variant, 1, records, records / seconds, 0, 0, 0, 0);

    private async Task SampleAsync(IWriteAheadLog wal, StateGraphProjector projector, Stopwatch clock, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                // The projected position first: read the other way round, a projection between the reads could show a negative lag.
                var projected = projector.ProjectedPosition;
                _samples.Add(new Sample(clock.Elapsed, wal.NextPosition - 1, projected));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static async Task<IHost> StartHostAsync(string directory)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Symphainy:DataDirectory"] = directory });
        // Warnings and errors only (a projector that cannot write says so), on stderr with the progress lines.
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning).AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton<SagaScenario.TrivialWork>();
        builder.Services.AddSymphainy(symphainy => symphainy.AddCapability<SagaScenario.ThreeSteps>("bench.three_steps", "bench", "three trivial steps"));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private readonly record struct Sample(TimeSpan At, long Appended, long Projected)
    {
        public long Lag => Appended - Projected;
    }
}

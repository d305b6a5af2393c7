using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Symphainy.Hosting;
using Symphainy.Projection;
using Symphainy.Sagas;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.SmartCity.Tests;

/// <summary>One connected trace from the caller's request through intent, saga and steps, after a restart too; metrics; health.</summary>
public sealed class NurseTests : IDisposable
{
    private static readonly ActivitySource Web = new("Symphainy.SmartCity.Tests.Web");
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-nurse-");

    public void Dispose() => _data.Delete(recursive: true);

    [Fact]
    public async Task A_traced_intent_makes_one_connected_trace_through_its_saga_and_steps_and_the_saga_resumed_after_a_restart_continues_it()
    {
        SmartCityHost.Gated.Reset();
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(Web.Name).AddSymphainyInstrumentation().AddInMemoryExporter(spans).Build();
        using var metering = Sdk.CreateMeterProviderBuilder().AddSymphainyInstrumentation().AddInMemoryExporter(metrics).Build();
        var caller = new SymphainyPrincipal("web", _tenant, new HashSet<string>());

        ActivityTraceId trace;
        SagaId saga;
        // No drain at stop: the host goes away while "ship" runs, as a crash would leave it.
        await using (var first = await SmartCityHost.StartAsync(new() { ["Symphainy:SmartCity:City:DrainDeadline"] = "00:00:00" }, dataDirectory: _data.FullName))
        {
            using (var request = Web.StartActivity("POST /orders/ship", ActivityKind.Server)!)
            {
                trace = request.TraceId;
                saga = (await first.SubmitAsync("orders.ship", _tenant, caller)).Execution;
            }

            await SmartCityHost.Gated.Entered.WaitAsync(TimeSpan.FromSeconds(30)); // "pack" recorded, "ship" running
        } // stopped: "ship" runs again after the restart

        SmartCityHost.Gated.Open.Release();
        await using (var second = await SmartCityHost.StartAsync(dataDirectory: _data.FullName))
        {
            (await second.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);
        }

        tracing.ForceFlush();
        var ours = spans.Where(s => s.TraceId == trace).ToList();
        var root = ours.Should().ContainSingle(s => s.DisplayName == "POST /orders/ship").Subject;
        var intent = ours.Should().ContainSingle(s => s.DisplayName == "intent orders.ship").Subject;
        intent.ParentSpanId.Should().Be(root.SpanId);
        var runs = ours.Where(s => s.DisplayName.StartsWith("saga ", StringComparison.Ordinal)).ToList();
        runs.Should().HaveCount(2, "the saga ran before the stop and again after the restart, both in the caller's trace")
            .And.OnlyContain(s => s.ParentSpanId == intent.SpanId);
        ours.Where(s => s.DisplayName == "step pack").Should().ContainSingle().Which.ParentSpanId.Should().Be(runs[0].SpanId);
        ours.Where(s => s.DisplayName == "step ship").Select(s => s.ParentSpanId).Should().Contain(runs[1].SpanId, "the step that ran after the restart is in the resumed saga's span");

        metering.ForceFlush();
        metrics.Select(m => m.Name).Should().Contain(["symphainy.intents.accepted", "symphainy.sagas.ended", "symphainy.saga.duration", "symphainy.steps.completed"]);
    }

    [Fact]
    public async Task Each_saga_records_its_duration_from_acceptance_to_end_tagged_with_its_intent_type_and_outcome()
    {
        var durations = new ConcurrentQueue<(double Seconds, string? Type, string? Outcome)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Symphainy.Runtime" && instrument.Name == "symphainy.saga.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            var tagged = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            if (tagged.GetValueOrDefault("type") is "nurse.timed" or "nurse.timed_failing") // other tests' sagas run alongside
            {
                durations.Enqueue((seconds, tagged["type"], tagged.GetValueOrDefault("outcome")));
            }
        });
        listener.Start();
        await using var host = await SmartCityHost.StartAsync(services: services => new SymphainyBuilder(services)
            .AddCapability<SmartCityHost.Echo>("nurse.timed", "nurse", "ends at once")
            .AddCapability<Failing>("nurse.timed_failing", "nurse", "fails at once"));
        var caller = new SymphainyPrincipal("web", _tenant, new HashSet<string>());
        var engine = host.Services.GetRequiredService<ISagaEngine>();

        foreach (var type in new[] { "nurse.timed", "nurse.timed", "nurse.timed", "nurse.timed_failing" })
        {
            await engine.WaitForEndAsync(_tenant, (await host.SubmitAsync(type, _tenant, caller)).Execution).WaitAsync(TimeSpan.FromSeconds(30));
        }

        durations.Where(d => d.Type == "nurse.timed").Should().HaveCount(3, "one measurement per saga").And.OnlyContain(d => d.Outcome == "Completed" && d.Seconds >= 0);
        durations.Where(d => d.Type == "nurse.timed_failing").Should().ContainSingle().Which.Outcome.Should().Be("Failed");
    }

    [Fact]
    public async Task Projection_lag_gauges_the_records_a_projection_has_not_written_and_falls_to_zero_once_it_catches_up()
    {
        var graph = new HeldGraph();
        var metrics = new List<Metric>();
        using var metering = Sdk.CreateMeterProviderBuilder().AddSymphainyInstrumentation().AddInMemoryExporter(metrics).Build();
        await using var host = await SmartCityHost.StartAsync(
            settings: new() { ["Symphainy:SmartCity:Nurse:ProjectionLagDegradedAfter"] = "1" },
            services: services =>
            {
                services.AddSingleton<IStateGraph>(graph);
                new SymphainyBuilder(services).AddFoundations();
            });
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var lags = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == ProjectionLagMonitor.LagInstrument && ReferenceEquals(instrument.Meter.Scope, factory)) // this host's meter only
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, lag, tags, _) => lags[(string)tags.ToArray().Single(t => t.Key == "projection").Value!] = lag);
        listener.Start();
        var wal = host.Services.GetRequiredService<IWriteAheadLog>();
        var projector = host.Services.GetRequiredService<StateGraphProjector>();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        // The graph holds the projector's writes: the log runs ahead of the projection.
        var caller = new SymphainyPrincipal("web", _tenant, new HashSet<string>());
        await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, (await host.SubmitAsync("orders.place", _tenant, caller)).Execution).WaitAsync(TimeSpan.FromSeconds(30));
        await graph.Writing.WaitAsync(TimeSpan.FromSeconds(30));
        listener.RecordObservableInstruments();
        var behind = wal.NextPosition - 1 - projector.ProjectedPosition;
        behind.Should().BePositive();
        lags.Should().ContainKey(StateGraphProjector.Name).WhoseValue.Should().Be(behind);
        metering.ForceFlush();
        metrics.Should().Contain(m => m.Name == ProjectionLagMonitor.LagInstrument, "the OpenTelemetry wiring picks up the host's own meter by its name");
        var report = await health.CheckHealthAsync(r => r.Name == "symphainy-projections");
        report.Entries["symphainy-projections"].Status.Should().Be(HealthStatus.Degraded);
        report.Entries["symphainy-projections"].Description.Should().Contain($"{StateGraphProjector.Name} is {behind} records behind");

        // Let go: the projection catches up with the log.
        graph.Release();
        await projector.WaitForPositionAsync(wal.NextPosition - 1).WaitAsync(TimeSpan.FromSeconds(30));
        listener.RecordObservableInstruments();
        lags[StateGraphProjector.Name].Should().Be(0);
        (await health.CheckHealthAsync(r => r.Name == "symphainy-projections")).Status.Should().Be(HealthStatus.Healthy);
    }

    /// <summary>Fails its one step at once, for good.</summary>
    public sealed class Failing : Orchestrator<SmartCityHost.Order, int>
    {
        public override Task<int> RunAsync(SagaContext saga, SmartCityHost.Order input) =>
            saga.Step<int>("fail", _ => throw new InvalidOperationException("no"), new StepOptions { Retry = RetryPolicy.None });
    }

    /// <summary>An in-memory graph whose writes wait until the test lets them through.</summary>
    private sealed class HeldGraph : IStateGraph
    {
        private readonly InMemoryStateGraph _inner = new();
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _writing = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once a write waits.</summary>
        public Task Writing => _writing.Task;

        public void Release() => _released.TrySetResult();

        public async ValueTask UpsertAsync(GraphBatch batch, CancellationToken cancellationToken = default)
        {
            if (!_released.Task.IsCompleted)
            {
                _writing.TrySetResult();
                await _released.Task.WaitAsync(cancellationToken);
            }

            await _inner.UpsertAsync(batch, cancellationToken);
        }

        public ValueTask<GraphNode?> GetNodeAsync(TenantId tenant, string id, CancellationToken cancellationToken = default) => _inner.GetNodeAsync(tenant, id, cancellationToken);

        public ValueTask<IReadOnlyList<GraphNode>> QueryNodesAsync(TenantId tenant, GraphNodeKind kind, int limit, string? afterId = null, CancellationToken cancellationToken = default) =>
            _inner.QueryNodesAsync(tenant, kind, limit, afterId, cancellationToken);

        public ValueTask<IReadOnlyList<GraphEdge>> GetEdgesAsync(TenantId tenant, string nodeId, EdgeDirection direction, CancellationToken cancellationToken = default) =>
            _inner.GetEdgesAsync(tenant, nodeId, direction, cancellationToken);

        public ValueTask<int> DeleteNodesAsync(TenantId tenant, IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken = default) =>
            _inner.DeleteNodesAsync(tenant, nodeIds, cancellationToken);

        public ValueTask<int> DeleteTenantAsync(TenantId tenant, CancellationToken cancellationToken = default) => _inner.DeleteTenantAsync(tenant, cancellationToken);

        public ValueTask<IReadOnlyList<LineageStep>> GetLineageAsync(TenantId tenant, string nodeId, int maxDepth = 32, CancellationToken cancellationToken = default) =>
            _inner.GetLineageAsync(tenant, nodeId, maxDepth, cancellationToken);
    }

    [Fact]
    public async Task Every_adapter_reports_its_health()
    {
        await using var host = await SmartCityHost.StartAsync();
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        report.Entries.Keys.Should().Contain(["symphainy-wal", "symphainy-hot-state", "symphainy-state-graph", "symphainy-sagas", "symphainy-projections", "symphainy-city"]);
        report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}").Should().BeEmpty();
    }
}

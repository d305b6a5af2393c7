using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Symphainy.Sagas;

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
        await using (var first = await SmartCityHost.StartAsync(dataDirectory: _data.FullName))
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
        metrics.Select(m => m.Name).Should().Contain(["symphainy.intents.accepted", "symphainy.sagas.ended", "symphainy.steps.completed"]);
    }

    [Fact]
    public async Task Every_adapter_reports_its_health()
    {
        await using var host = await SmartCityHost.StartAsync();
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        report.Entries.Keys.Should().Contain(["symphainy-wal", "symphainy-hot-state", "symphainy-state-graph", "symphainy-sagas", "symphainy-city"]);
        report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => $"{e.Key}: {e.Value.Description}").Should().BeEmpty();
    }
}

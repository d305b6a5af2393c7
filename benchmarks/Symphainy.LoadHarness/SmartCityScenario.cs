using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.SmartCity;

namespace Symphainy.LoadHarness;

/// <summary>
/// The in-memory 3-step saga, closed loop, with the Smart City policies off (the baseline) and on, in one run: the
/// Security Guard authorizing every intent for its principal and the Traffic Cop counting it against a tenant limit
/// far above the load; then the same with every span recorded and every metric aggregated by OpenTelemetry.
/// </summary>
internal sealed class SmartCityScenario : IScenario
{
    private static readonly TenantId Tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    public string Name => "smartcity";

    public string Description => "3-step in-memory saga with the Smart City policies off and on (and with OpenTelemetry recording), same run";

    public IReadOnlyList<Baseline> Baselines { get; } = [new("policies-off", ["policies-off"])];

    public async Task<IReadOnlyList<ResultRow>> RunAsync(HarnessOptions options)
    {
        var rows = new List<ResultRow>();
        var concurrency = options.Writers.Max();
        var principal = new SymphainyPrincipal("bench", Tenant, new HashSet<string> { "bench" });
        foreach (var (variant, policies, telemetry) in new[] { ("policies-off", false, false), ("policies-on", true, false), ("policies-on-otel", true, true) })
        {
            using var tracing = telemetry ? Sdk.CreateTracerProviderBuilder().AddSymphainyInstrumentation().SetSampler(new AlwaysOnSampler()).Build() : null;
            using var metering = telemetry ? Sdk.CreateMeterProviderBuilder().AddSymphainyInstrumentation().Build() : null;
            using var host = await StartHostAsync(policies);
            var intake = host.Services.GetRequiredService<IIntentIntake>();
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            var payload = JsonSerializer.SerializeToElement(new SagaScenario.ThreeStepInput("x"));
            rows.Add(await Measurement.RunAsync(Name, variant, concurrency, options.Warmup, options.Duration, async () =>
            {
                IntentAcceptance accepted;
                using (SymphainyPrincipal.Use(principal))
                {
                    accepted = await intake.SubmitAsync(new Intent("bench.three_steps", Tenant, payload));
                }

                await engine.WaitForEndAsync(Tenant, accepted.Execution);
                return 0L;
            }));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  measured {variant,-20} {rows[^1].OpsPerSecond,12:N0} sagas/s"));
            await host.StopAsync();
        }

        return rows;
    }

    public IEnumerable<string> Summarize(IReadOnlyList<ResultRow> rows)
    {
        var off = rows.Single(r => r.Variant == "policies-off").OpsPerSecond;
        var on = rows.Single(r => r.Variant == "policies-on").OpsPerSecond;
        var otel = rows.Single(r => r.Variant == "policies-on-otel").OpsPerSecond;
        var overhead = 1 - (on / off);
        yield return string.Create(CultureInfo.InvariantCulture, $"Smart City policies: {off:N0} sagas/s off, {on:N0} on ({overhead:P1} overhead); with OpenTelemetry recording every span and metric: {otel:N0} ({1 - (otel / off):P1})");
        yield return string.Create(CultureInfo.InvariantCulture, $"goal Smart City policies overhead <= 25% (same run): {(overhead <= 0.25 ? "PASS" : "MISS")} ({overhead:P1})");
    }

    private static async Task<IHost> StartHostAsync(bool policies)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:Sagas:EndedSagasKept"] = "10000",
            ["Symphainy:Wal:Provider"] = "InMemory",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<SagaScenario.TrivialWork>();
        var symphainy = new SymphainyBuilder(builder.Services).AddRuntime().AddCapability<SagaScenario.ThreeSteps>("bench.three_steps", "bench", "three trivial steps");
        if (policies)
        {
            symphainy.AddSmartCity(
                security: s => s.CapabilityRoles["bench.three_steps"] = ["bench"],
                traffic: t => t.PerTenant = new RateLimit { PermitLimit = 10_000_000, Window = TimeSpan.FromSeconds(1) });
        }

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

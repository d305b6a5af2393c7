using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Symphainy.Hosting;
using Symphainy.Intake;

namespace Symphainy.SmartCity;

/// <summary>A Smart City service online on this host.</summary>
/// <param name="Name">Its name (Security Guard, Traffic Cop, …).</param>
/// <param name="Role">What it governs.</param>
public sealed record SmartCityService(string Name, string Role);

/// <summary>Registers the Smart City plane.</summary>
public static class SmartCitySymphainyBuilderExtensions
{
    /// <summary>
    /// Adds the Smart City services this package has: the Security Guard (authentication and authorization of every
    /// intent, <c>Symphainy:SmartCity:Security</c>), the Traffic Cop (rate limits, <c>Symphainy:SmartCity:Traffic</c>),
    /// the Nurse (health checks of every adapter; <see cref="Nurse.AddSymphainyInstrumentation(OpenTelemetry.Trace.TracerProviderBuilder)"/>
    /// wires traces and metrics) and the City Manager (registers them and reports readiness as health check
    /// <c>symphainy-city</c>).
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="security">Code configuration of the Security Guard, after configuration binding.</param>
    /// <param name="traffic">Code configuration of the Traffic Cop, after configuration binding.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder AddSmartCity(this ISymphainyBuilder builder, Action<SecurityGuardOptions>? security = null, Action<TrafficCopOptions>? traffic = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (builder.TryAddPlane("SmartCity", "governs and observes execution: security, traffic, registration", typeof(CityManager)))
        {
            services.AddOptions<SecurityGuardOptions>().BindConfiguration("Symphainy:SmartCity:Security");
            services.AddOptions<TrafficCopOptions>().BindConfiguration("Symphainy:SmartCity:Traffic");
            services.AddOptions<PostOfficeOptions>().BindConfiguration("Symphainy:SmartCity:PostOffice");
            services.AddOptions<DataStewardOptions>().BindConfiguration("Symphainy:SmartCity:Data");
            services.TryAddSingleton<DataSteward>();
            RedactLogs(services);
            services.TryAddSingleton<PostOffice>();
            services.TryAddSingleton<Librarian>();
            services.AddOptions<ConductorOptions>().BindConfiguration("Symphainy:SmartCity:Conductor");
            services.TryAddSingleton<Conductor>();
            services.TryAddSingleton<SagaTimeouts>();
            services.AddSingleton<IIntakePolicy>(sp => sp.GetRequiredService<SagaTimeouts>());
            services.AddSingleton<Symphainy.Sagas.IStepPolicy>(sp => sp.GetRequiredService<SagaTimeouts>());
            services.AddOptions<NurseOptions>().BindConfiguration("Symphainy:SmartCity:Nurse");
            services.TryAddSingleton<StuckSagaMonitor>();
            services.AddHostedService(sp => sp.GetRequiredService<StuckSagaMonitor>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<Symphainy.Agents.IAgentToolSource, Librarian>(sp => sp.GetRequiredService<Librarian>()));
            services.TryAddSingleton<SecurityGuard>();
            services.TryAddSingleton<TrafficCop>();
            // Authorization first: a caller who may not act spends no one's rate limit.
            services.AddSingleton<IIntakePolicy>(sp => sp.GetRequiredService<SecurityGuard>());
            services.AddSingleton<IIntakePolicy>(sp => sp.GetRequiredService<TrafficCop>());
            services.AddSingleton<Symphainy.Sagas.IStepPolicy>(sp => sp.GetRequiredService<SecurityGuard>());
            AddErasure(builder);
            services.AddSingleton(new SmartCityService("Security Guard", "authenticates callers and authorizes every intent for its tenant and roles; audits denials"));
            services.AddSingleton(new SmartCityService("Traffic Cop", "per-tenant and per-capability rate limits with typed retry-after errors"));
            services.AddSingleton(new SmartCityService("Post Office", "tenant-filtered event subscriptions with cursors, replay and a slow-subscriber policy"));
            services.AddSingleton(new SmartCityService("Conductor", "parks steps that fail for good for operators; operator retry, abandon and cancel, recorded through intake"));
            services.AddSingleton(new SmartCityService("Librarian", "registry of knowledge sources with provenance and tenant access; agents' tools go through it"));
            services.AddSingleton(new SmartCityService("Data Steward", "classifies payload fields, redacts sensitive ones from every log line, erases a tenant's or a session's data on request and ended executions past their retention"));
            services.AddSingleton(new SmartCityService("Nurse", "spans and metrics of intents, sagas, steps and agents (OpenTelemetry), health of every adapter"));
            services.AddSingleton(new SmartCityService("City Manager", "registers the Smart City services and reports readiness"));
            services.TryAddSingleton<CityManager>();
            services.AddHostedService(sp => sp.GetRequiredService<CityManager>());
            services.AddHealthChecks()
                .AddCheck<CityManager>("symphainy-city", tags: ["symphainy", "ready"])
                .AddCheck<WriteAheadLogHealthCheck>("symphainy-wal", tags: ["symphainy", "live"])
                .AddCheck<StuckSagaMonitor>("symphainy-sagas", tags: ["symphainy", "live"])
                .Add(new HealthCheckRegistration("symphainy-hot-state", sp => ProbeHealthCheck.For(sp.GetRequiredService<Symphainy.State.IHotStateStore>()), null, ["symphainy", "live"]))
                .Add(new HealthCheckRegistration("symphainy-state-graph", sp => ProbeHealthCheck.For(sp.GetRequiredService<Symphainy.State.IStateGraph>()), null, ["symphainy", "live"]));
        }

        if (security is not null)
        {
            services.Configure(security);
        }

        if (traffic is not null)
        {
            services.Configure(traffic);
        }

        return builder;
    }

    // Erasure requests are a capability of their own, run as sagas; the Security Guard authorizes them like any other
    // intent (with the erasure role), then the request policy checks them, before anything is recorded.
    private static void AddErasure(ISymphainyBuilder builder)
    {
        var services = builder.Services;
        builder.AddCapability<ErasureOrchestrator>(DataErasure.IntentType, "smartcity", "erases a tenant's, a session's or named executions' data from the stores derived from the log", idempotent: true);
        services.AddOptions<SecurityGuardOptions>().PostConfigure<IOptions<DataStewardOptions>>((security, data) =>
        {
            if (data.Value.ErasureRole is { Length: > 0 } role && !security.CapabilityRoles.ContainsKey(DataErasure.IntentType))
            {
                security.CapabilityRoles[DataErasure.IntentType] = [role];
            }
        });
        services.TryAddSingleton<DataErasure>();
        services.TryAddSingleton<ErasureRequestPolicy>();
        services.AddSingleton<IIntakePolicy>(sp => sp.GetRequiredService<ErasureRequestPolicy>());
        services.TryAddSingleton<RetentionSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionSweep>());
    }

    // Every logger the host creates goes through the Data Steward: the host's logger factory is wrapped, whichever
    // providers are added (before or after this call).
    private static void RedactLogs(IServiceCollection services)
    {
        services.AddLogging();
        var factory = services.LastOrDefault(d => d.ServiceType == typeof(Microsoft.Extensions.Logging.ILoggerFactory));
        if (factory is null || factory.ImplementationType != typeof(Microsoft.Extensions.Logging.LoggerFactory))
        {
            return; // the host brought a factory of its own: left alone
        }

        services.Remove(factory);
        services.AddSingleton<Microsoft.Extensions.Logging.LoggerFactory>();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(sp => new RedactingLoggerFactory(sp.GetRequiredService<Microsoft.Extensions.Logging.LoggerFactory>(), sp.GetRequiredService<DataSteward>()));
    }
}

/// <summary>
/// The City Manager: knows the Smart City services online and reports readiness: healthy when every service that
/// governs intake is registered as an intake policy, unhealthy (naming the missing ones) otherwise.
/// </summary>
/// <param name="services">The Smart City services online.</param>
/// <param name="policies">The intake policies registered.</param>
/// <param name="capabilities">The capabilities registered.</param>
/// <param name="resolver">How intents resolve to capabilities.</param>
/// <param name="definitions">The saga definitions registered.</param>
public sealed class CityManager(
    IEnumerable<SmartCityService> services,
    IEnumerable<IIntakePolicy> policies,
    IEnumerable<Symphainy.Capabilities.CapabilityRegistration> capabilities,
    ICapabilityResolver resolver,
    IEnumerable<Symphainy.Sagas.SagaDefinition> definitions) : IHealthCheck, Microsoft.Extensions.Hosting.IHostedService
{
    /// <summary>
    /// When the host starts: every registered capability must resolve (through the host's resolver) to a registered
    /// saga definition, or the host does not start (<c>city.capability_unresolved</c>, naming each one).
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A completed task.</returns>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var known = definitions.Select(d => (d.Name, d.Version)).ToHashSet();
        var problems = new List<string>();
        foreach (var capability in capabilities)
        {
            var resolution = resolver.Resolve(capability.Name, capability.Version);
            if (resolution is null)
            {
                problems.Add($"'{capability.Name}' v{capability.Version} (realm {capability.Realm}) does not resolve");
            }
            else if (!known.Contains((resolution.SagaDefinition, resolution.SagaVersion)))
            {
                problems.Add($"'{capability.Name}' v{capability.Version} resolves to saga '{resolution.SagaDefinition}' v{resolution.SagaVersion}, which is not registered");
            }
        }

        return problems.Count == 0
            ? Task.CompletedTask
            : throw new SymphainyException(SmartCityErrorCodes.CapabilityUnresolved, $"The City Manager found capabilities that cannot run: {string.Join("; ", problems)}.");
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The Smart City services online on this host.</summary>
    public IReadOnlyList<SmartCityService> Services { get; } = [.. services];

    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var registered = policies.Select(p => p.GetType()).ToHashSet();
        var missing = new[] { typeof(SecurityGuard), typeof(TrafficCop) }.Where(t => !registered.Contains(t)).Select(t => t.Name).ToList();
        var data = new Dictionary<string, object> { ["services"] = string.Join(", ", Services.Select(s => s.Name)) };
        if (missing.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"Smart City services not registered as intake policies: {string.Join(", ", missing)}", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{Services.Count} Smart City services online", data));
    }
}

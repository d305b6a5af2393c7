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
            services.AddOptions<SecurityGuardOptions>().BindConfiguration(SecurityGuardOptions.SectionName);
            services.AddOptions<TrafficCopOptions>().BindConfiguration(TrafficCopOptions.SectionName);
            services.AddOptions<PostOfficeOptions>().BindConfiguration(PostOfficeOptions.SectionName);
            services.AddOptions<DataStewardOptions>().BindConfiguration(DataStewardOptions.SectionName);
            services.TryAddSingleton<DataSteward>();
            RedactLogs(services);
            services.TryAddSingleton<PostOffice>();
            services.TryAddSingleton<Librarian>();
            services.AddOptions<ConductorOptions>().BindConfiguration(ConductorOptions.SectionName);
            services.TryAddSingleton<Conductor>();
            services.TryAddSingleton<SagaTimeouts>();
            services.TryAddSingleton<SagaSchedule>();
            services.AddSingleton<Symphainy.Sagas.ISagaAdmission>(sp => sp.GetRequiredService<SagaSchedule>());
            services.AddSingleton<IIntakePolicy>(sp => sp.GetRequiredService<SagaTimeouts>());
            services.AddSingleton<Symphainy.Sagas.IStepPolicy>(sp => sp.GetRequiredService<SagaTimeouts>());
            services.AddOptions<NurseOptions>().BindConfiguration(NurseOptions.SectionName);
            services.TryAddSingleton<StuckSagaMonitor>();
            services.AddHostedService(sp => sp.GetRequiredService<StuckSagaMonitor>());
            services.TryAddSingleton<ProjectionLagMonitor>();
            services.AddHostedService(sp => sp.GetRequiredService<ProjectionLagMonitor>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<Symphainy.Agents.IAgentToolSource, Librarian>(sp => sp.GetRequiredService<Librarian>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<Symphainy.Agents.IFactPolicy, Librarian>(sp => sp.GetRequiredService<Librarian>()));
            services.TryAddSingleton<SecurityGuard>();
            services.TryAddSingleton<TrafficCop>();
            // Authorization first: a caller who may not act spends no one's rate limit.
            services.AddSingleton<IIntakePolicy>(sp => sp.GetRequiredService<SecurityGuard>());
            services.AddSingleton<IIntakePolicy>(sp => sp.GetRequiredService<TrafficCop>());
            services.AddSingleton<Symphainy.Sagas.IStepPolicy>(sp => sp.GetRequiredService<SecurityGuard>());
            AddErasure(builder);
            services.AddSingleton(new SmartCityService("Security Guard", "authenticates callers and authorizes every intent for its tenant and roles; audits denials"));
            services.AddSingleton(new SmartCityService("Traffic Cop", "per-tenant, per-session and per-capability rate limits with typed retry-after errors; per-session ordering and concurrency"));
            services.AddSingleton(new SmartCityService("Post Office", "tenant-filtered event subscriptions with cursors, replay and a slow-subscriber policy"));
            services.AddSingleton(new SmartCityService("Conductor", "fair share and priorities when running sagas are capped; saga timeouts; parks steps that fail for good for operators; operator retry, abandon and cancel, recorded through intake"));
            services.AddSingleton(new SmartCityService("Librarian", "registry of knowledge sources and fact schemas with provenance and tenant access; agents' tools go through it and their facts are held to it"));
            services.AddSingleton(new SmartCityService("Data Steward", "classifies payload fields, redacts sensitive ones from every log line, erases a tenant's or a session's data on request and ended executions past their retention"));
            services.AddSingleton(new SmartCityService("Nurse", "spans and metrics of intents, sagas, steps, agents, queue depth and projection lag (OpenTelemetry), health of every adapter"));
            services.AddSingleton(new SmartCityService("City Manager", "registers the Smart City services, verifies capabilities, boots realms in dependency order, reports readiness, drains within a deadline at stop"));
            services.AddOptions<CityManagerOptions>().BindConfiguration(CityManagerOptions.SectionName);
            services.TryAddSingleton<CityManager>();
            services.AddHostedService(sp => sp.GetRequiredService<CityManager>());
            services.AddHealthChecks()
                .AddCheck<CityManager>("symphainy-city", tags: ["symphainy", "ready"])
                .AddCheck<WriteAheadLogHealthCheck>("symphainy-wal", tags: ["symphainy", "live"])
                .AddCheck<StuckSagaMonitor>("symphainy-sagas", tags: ["symphainy", "live"])
                .AddCheck<ProjectionLagMonitor>("symphainy-projections", tags: ["symphainy", "live"])
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

/// <summary>City Manager settings, under <c>Symphainy:SmartCity:City</c>.</summary>
[Symphainy.Configuration.OptionsSection(SectionName)]
public sealed class CityManagerOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "Symphainy:SmartCity:City";

    /// <summary>
    /// How long running steps are given to finish and be recorded when the host stops (intake refuses first; a saga
    /// reaching its next step is suspended; whatever is not finished resumes on the next start). Default 20 seconds:
    /// keep it below the host's shutdown timeout (<c>HostOptions.ShutdownTimeout</c>, 30 seconds by default).
    /// </summary>
    public TimeSpan DrainDeadline { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// The City Manager: registration and bootstrap. When the host starts it verifies that every registered capability
/// resolves to a registered saga (otherwise the host does not start: <c>city.capability_unresolved</c>), then boots the
/// registered realms (<see cref="IRealmLifecycle"/>) in dependency order; it reports readiness (health check
/// <c>symphainy-city</c>: healthy once every realm started and every Smart City service that governs intake is
/// registered). When the host stops it drains first (intake refuses, no new step starts, running steps get
/// <see cref="CityManagerOptions.DrainDeadline"/> to finish and record), then stops the realms in reverse order.
/// </summary>
public sealed partial class CityManager : IHealthCheck, Microsoft.Extensions.Hosting.IHostedService
{
    private readonly IEnumerable<IIntakePolicy> _policies;
    private readonly IEnumerable<Symphainy.Capabilities.CapabilityRegistration> _capabilities;
    private readonly ICapabilityResolver _resolver;
    private readonly IEnumerable<Symphainy.Sagas.SagaDefinition> _definitions;
    private readonly IRealmLifecycle[] _realms;
    private readonly Symphainy.Sagas.ISagaEngine _engine;
    private readonly CityManagerOptions _options;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private readonly List<IRealmLifecycle> _started = [];
    private volatile bool _ready;

    /// <summary>Creates the City Manager.</summary>
    /// <param name="services">The Smart City services online.</param>
    /// <param name="policies">The intake policies registered.</param>
    /// <param name="capabilities">The capabilities registered.</param>
    /// <param name="resolver">How intents resolve to capabilities.</param>
    /// <param name="definitions">The saga definitions registered.</param>
    /// <param name="realms">The realms to boot.</param>
    /// <param name="engine">The engine it drains at stop.</param>
    /// <param name="options">The drain deadline.</param>
    /// <param name="logger">Where boot and drain are logged.</param>
    public CityManager(
        IEnumerable<SmartCityService> services,
        IEnumerable<IIntakePolicy> policies,
        IEnumerable<Symphainy.Capabilities.CapabilityRegistration> capabilities,
        ICapabilityResolver resolver,
        IEnumerable<Symphainy.Sagas.SagaDefinition> definitions,
        IEnumerable<IRealmLifecycle> realms,
        Symphainy.Sagas.ISagaEngine engine,
        IOptions<CityManagerOptions> options,
        Microsoft.Extensions.Logging.ILogger<CityManager> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Services = [.. services];
        _policies = policies;
        _capabilities = capabilities;
        _resolver = resolver;
        _definitions = definitions;
        _realms = [.. realms];
        _engine = engine;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The Smart City services online on this host.</summary>
    public IReadOnlyList<SmartCityService> Services { get; }

    /// <summary>The realms in the order they boot (each after the realms it depends on).</summary>
    public IReadOnlyList<string> BootOrder => [.. Order(_realms).Select(r => r.Realm)];

    /// <summary>
    /// When the host starts: every registered capability must resolve (through the host's resolver) to a registered
    /// saga definition, or the host does not start (<c>city.capability_unresolved</c>, naming each one); then the
    /// realms start in dependency order (<c>city.realm_order_invalid</c> for a duplicate, an unknown dependency or a
    /// cycle; <c>city.realm_start_failed</c> when one fails, after the ones started are stopped again).
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The start.</returns>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var known = _definitions.Select(d => (d.Name, d.Version)).ToHashSet();
        var problems = new List<string>();
        foreach (var capability in _capabilities)
        {
            var resolution = _resolver.Resolve(capability.Name, capability.Version);
            if (resolution is null)
            {
                problems.Add($"'{capability.Name}' v{capability.Version} (realm {capability.Realm}) does not resolve");
            }
            else if (!known.Contains((resolution.SagaDefinition, resolution.SagaVersion)))
            {
                problems.Add($"'{capability.Name}' v{capability.Version} resolves to saga '{resolution.SagaDefinition}' v{resolution.SagaVersion}, which is not registered");
            }
        }

        if (problems.Count > 0)
        {
            throw new SymphainyException(SmartCityErrorCodes.CapabilityUnresolved, $"The City Manager found capabilities that cannot run: {string.Join("; ", problems)}.");
        }

        foreach (var realm in Order(_realms))
        {
            LogRealmStarting(_logger, realm.Realm);
            try
            {
                await realm.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogRealmFailed(_logger, e, realm.Realm);
                await StopRealmsAsync(CancellationToken.None).ConfigureAwait(false);
                throw new SymphainyException(SmartCityErrorCodes.RealmStartFailed, $"Realm '{realm.Realm}' failed to start: {e.Message}", e);
            }

            lock (_started)
            {
                _started.Add(realm);
            }
        }

        _ready = true;
    }

    /// <summary>
    /// When the host stops: drains (intake refuses, no new step starts, running steps get
    /// <see cref="CityManagerOptions.DrainDeadline"/> to finish and record), then stops the realms in reverse boot order.
    /// </summary>
    /// <param name="cancellationToken">The host's shutdown timeout.</param>
    /// <returns>The stop.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _ready = false;
        var deadline = _options.DrainDeadline > TimeSpan.Zero ? _options.DrainDeadline : TimeSpan.Zero;
        LogDraining(_logger, deadline);
        try
        {
            var left = await _engine.DrainAsync(deadline, cancellationToken).ConfigureAwait(false);
            if (left == 0)
            {
                LogDrained(_logger);
            }
            else
            {
                LogDrainDeadline(_logger, left, deadline);
            }
        }
        catch (OperationCanceledException)
        {
            LogDrainCut(_logger); // the host's own shutdown timeout came first: the stop goes on
        }

        await StopRealmsAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task StopRealmsAsync(CancellationToken cancellationToken)
    {
        IRealmLifecycle[] started;
        lock (_started)
        {
            started = [.. _started];
            _started.Clear();
        }

        for (var i = started.Length - 1; i >= 0; i--)
        {
            try
            {
                await started[i].StopAsync(cancellationToken).ConfigureAwait(false);
                LogRealmStopped(_logger, started[i].Realm);
            }
            catch (Exception e)
            {
                LogRealmStopFailed(_logger, e, started[i].Realm); // the others still stop
            }
        }
    }

    // Realms in dependency order, stable in registration order otherwise.
    private static List<IRealmLifecycle> Order(IRealmLifecycle[] realms)
    {
        var byName = new Dictionary<string, IRealmLifecycle>(StringComparer.Ordinal);
        foreach (var realm in realms)
        {
            if (!byName.TryAdd(realm.Realm, realm))
            {
                throw new SymphainyException(SmartCityErrorCodes.RealmOrderInvalid, $"Realm '{realm.Realm}' is registered twice ({byName[realm.Realm].GetType().Name} and {realm.GetType().Name}).");
            }
        }

        var ordered = new List<IRealmLifecycle>(realms.Length);
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: being visited, true: placed
        foreach (var realm in realms)
        {
            Visit(realm, []);
        }

        return ordered;

        void Visit(IRealmLifecycle realm, List<string> path)
        {
            if (state.TryGetValue(realm.Realm, out var placed))
            {
                if (!placed)
                {
                    throw new SymphainyException(SmartCityErrorCodes.RealmOrderInvalid, $"Realms depend on each other in a cycle: {string.Join(" -> ", path.SkipWhile(p => p != realm.Realm).Append(realm.Realm))}.");
                }

                return;
            }

            state[realm.Realm] = false;
            path.Add(realm.Realm);
            foreach (var dependency in realm.DependsOn ?? [])
            {
                if (!byName.TryGetValue(dependency, out var needed))
                {
                    throw new SymphainyException(SmartCityErrorCodes.RealmOrderInvalid, $"Realm '{realm.Realm}' depends on realm '{dependency}', which is not registered.");
                }

                Visit(needed, path);
            }

            path.RemoveAt(path.Count - 1);
            state[realm.Realm] = true;
            ordered.Add(realm);
        }
    }

    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var registered = _policies.Select(p => p.GetType()).ToHashSet();
        var missing = new[] { typeof(SecurityGuard), typeof(TrafficCop) }.Where(t => !registered.Contains(t)).Select(t => t.Name).ToList();
        string[] realms;
        lock (_started)
        {
            realms = [.. _started.Select(r => r.Realm)];
        }

        var data = new Dictionary<string, object> { ["services"] = string.Join(", ", Services.Select(s => s.Name)), ["realms"] = string.Join(", ", realms) };
        if (missing.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"Smart City services not registered as intake policies: {string.Join(", ", missing)}", data: data));
        }

        if (!_ready)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"Not ready: {(realms.Length == 0 && _realms.Length > 0 ? "realms not started" : "starting or stopping")} ({realms.Length} of {_realms.Length} realms started)", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{Services.Count} Smart City services online, {realms.Length} realms started", data));
    }

    [Microsoft.Extensions.Logging.LoggerMessage(750, Microsoft.Extensions.Logging.LogLevel.Information, "City Manager: starting realm {Realm}")]
    private static partial void LogRealmStarting(Microsoft.Extensions.Logging.ILogger logger, string realm);

    [Microsoft.Extensions.Logging.LoggerMessage(751, Microsoft.Extensions.Logging.LogLevel.Error, "City Manager: realm {Realm} failed to start; the realms started before it are stopped and the host does not start")]
    private static partial void LogRealmFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception, string realm);

    [Microsoft.Extensions.Logging.LoggerMessage(752, Microsoft.Extensions.Logging.LogLevel.Information, "City Manager: draining (intake refuses, no new step starts); running steps have {Deadline} to finish")]
    private static partial void LogDraining(Microsoft.Extensions.Logging.ILogger logger, TimeSpan deadline);

    [Microsoft.Extensions.Logging.LoggerMessage(753, Microsoft.Extensions.Logging.LogLevel.Information, "City Manager: drained; every running step finished and was recorded")]
    private static partial void LogDrained(Microsoft.Extensions.Logging.ILogger logger);

    [Microsoft.Extensions.Logging.LoggerMessage(754, Microsoft.Extensions.Logging.LogLevel.Warning, "City Manager: {Count} sagas were still in a step when the drain deadline of {Deadline} passed; their steps are cancelled and run again after restart")]
    private static partial void LogDrainDeadline(Microsoft.Extensions.Logging.ILogger logger, int count, TimeSpan deadline);

    [Microsoft.Extensions.Logging.LoggerMessage(755, Microsoft.Extensions.Logging.LogLevel.Warning, "City Manager: the host's shutdown timeout ended the drain before its deadline; unfinished steps run again after restart")]
    private static partial void LogDrainCut(Microsoft.Extensions.Logging.ILogger logger);

    [Microsoft.Extensions.Logging.LoggerMessage(756, Microsoft.Extensions.Logging.LogLevel.Information, "City Manager: realm {Realm} stopped")]
    private static partial void LogRealmStopped(Microsoft.Extensions.Logging.ILogger logger, string realm);

    [Microsoft.Extensions.Logging.LoggerMessage(757, Microsoft.Extensions.Logging.LogLevel.Error, "City Manager: realm {Realm} failed to stop")]
    private static partial void LogRealmStopFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception, string realm);
}

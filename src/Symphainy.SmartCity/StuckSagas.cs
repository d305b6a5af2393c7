using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Sagas;

namespace Symphainy.SmartCity;

/// <summary>Nurse settings, under <c>Symphainy:SmartCity:Nurse</c>.</summary>
[Symphainy.Configuration.OptionsSection(SectionName)]
public sealed class NurseOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "Symphainy:SmartCity:Nurse";

    /// <summary>How long a running saga may go without progress (no record) before it is reported stuck. Default five minutes.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the Nurse looks. Default every 30 seconds.</summary>
    public TimeSpan CheckEvery { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many log records a projection may trail the log by before health check <c>symphainy-projections</c> turns
    /// degraded. Default 10,000.
    /// </summary>
    public long ProjectionLagDegradedAfter { get; set; } = 10_000;
}

/// <summary>
/// The Nurse's stuck-saga detection: every <see cref="NurseOptions.CheckEvery"/> it looks at the sagas running on this
/// host, and one that recorded nothing for longer than <see cref="NurseOptions.StuckAfter"/> (a step that hangs, a
/// retry that never ends) is reported: logged once (event 730), counted in the <c>symphainy.sagas.stuck</c> gauge,
/// listed in <see cref="Stuck"/> for operators and turning health check <c>symphainy-sagas</c> degraded. A saga waiting
/// for a timer or a signal is not stuck: it waits by design.
/// </summary>
public sealed partial class StuckSagaMonitor : BackgroundService, IHealthCheck
{
    private static readonly Meter Meter = new(Nurse.SmartCityName);
    private readonly ISagaEngine _engine;
    private readonly TimeProvider _time;
    private readonly NurseOptions _options;
    private readonly ILogger _logger;
    private readonly HashSet<SagaId> _reported = [];
    private IReadOnlyList<SagaSnapshot> _stuck = [];

    /// <summary>Creates the monitor.</summary>
    /// <param name="engine">Whose sagas it watches.</param>
    /// <param name="time">The host's clock.</param>
    /// <param name="options">Its thresholds.</param>
    /// <param name="logger">Where stuck sagas are reported.</param>
    public StuckSagaMonitor(ISagaEngine engine, TimeProvider time, IOptions<NurseOptions> options, ILogger<StuckSagaMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _time = time;
        _options = options.Value;
        _logger = logger;
        Meter.CreateObservableGauge("symphainy.sagas.stuck", () => Volatile.Read(ref _stuck).Count, "{saga}", "Sagas running without progress past Symphainy:SmartCity:Nurse:StuckAfter");
    }

    /// <summary>The sagas found stuck by the last look.</summary>
    public IReadOnlyList<SagaSnapshot> Stuck => Volatile.Read(ref _stuck);

    /// <summary>Looks now (the background loop calls this every <see cref="NurseOptions.CheckEvery"/>).</summary>
    /// <returns>The sagas stuck now.</returns>
    public IReadOnlyList<SagaSnapshot> CheckNow()
    {
        var now = _time.GetUtcNow();
        var stuck = _engine.ListActive()
            .Where(s => s.State == SagaState.Running && s.LastProgressAt is { } last && now - last > _options.StuckAfter)
            .ToList();
        lock (_reported)
        {
            foreach (var saga in stuck.Where(s => _reported.Add(s.Id)))
            {
                LogStuck(_logger, saga.Id, saga.Tenant, saga.CurrentStep ?? "-", now - saga.LastProgressAt!.Value);
            }

            _reported.IntersectWith(stuck.Select(s => s.Id));
        }

        Volatile.Write(ref _stuck, stuck);
        return stuck;
    }

    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var stuck = Stuck;
        return Task.FromResult(stuck.Count == 0
            ? HealthCheckResult.Healthy("no stuck sagas")
            : HealthCheckResult.Degraded($"{stuck.Count} sagas running without progress for more than {_options.StuckAfter}: {string.Join(", ", stuck.Take(10).Select(s => $"{s.Id} at '{s.CurrentStep}'"))}"));
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CheckEvery > TimeSpan.Zero ? _options.CheckEvery : TimeSpan.FromSeconds(30), _time, stoppingToken).ConfigureAwait(false);
                CheckNow();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(730, LogLevel.Warning, "Nurse: saga {Saga} of tenant {Tenant} has made no progress at step '{Step}' for {Idle}")]
    private static partial void LogStuck(ILogger logger, SagaId saga, TenantId tenant, string step, TimeSpan idle);
}

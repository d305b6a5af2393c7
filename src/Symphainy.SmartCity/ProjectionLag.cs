using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Symphainy.Projection;
using Symphainy.Wal;

namespace Symphainy.SmartCity;

/// <summary>
/// The Nurse's projection lag: for each projection of the write-ahead log (the state graph projector, and any other
/// registered as <see cref="IProjectionProgress"/>), how many log records it has not written yet: the log's last
/// position minus the projection's position, 0 when it has caught up. Observed as gauge
/// <c>symphainy.projection.lag</c> (records, tag <c>projection</c>) on a meter <c>Symphainy.SmartCity</c> of the host's
/// own (from its <see cref="IMeterFactory"/>, so hosts in one process do not share it), and as health check
/// <c>symphainy-projections</c>, degraded past <see cref="NurseOptions.ProjectionLagDegradedAfter"/>.
/// </summary>
public sealed class ProjectionLagMonitor : IHostedService, IHealthCheck, IDisposable
{
    /// <summary>The name of the gauge.</summary>
    public const string LagInstrument = "symphainy.projection.lag";

    private readonly IWriteAheadLog _wal;
    private readonly IProjectionProgress[] _projections;
    private readonly NurseOptions _options;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    /// <summary>Creates the monitor and its gauge.</summary>
    /// <param name="wal">The log the projections trail.</param>
    /// <param name="projections">The projections.</param>
    /// <param name="options">The health threshold.</param>
    /// <param name="meterFactory">The host's meter factory; without one, the monitor's meter is its own.</param>
    public ProjectionLagMonitor(IWriteAheadLog wal, IEnumerable<IProjectionProgress> projections, IOptions<NurseOptions> options, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(wal);
        ArgumentNullException.ThrowIfNull(projections);
        ArgumentNullException.ThrowIfNull(options);
        _wal = wal;
        _projections = [.. projections];
        _options = options.Value;
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(new MeterOptions(Nurse.SmartCityName)) ?? new Meter(Nurse.SmartCityName);
        _meter.CreateObservableGauge(LagInstrument, Observe, "{record}", "Log records a projection has not written yet (the log's last position minus the projection's)");
    }

    /// <summary>Each projection's lag now, in log records.</summary>
    /// <returns>Projection name and lag.</returns>
    public IReadOnlyDictionary<string, long> Lags()
    {
        var last = _wal.NextPosition - 1;
        return _projections.ToDictionary(p => p.ProjectionName, p => Math.Max(0, last - p.ProjectedPosition), StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var lags = Lags();
        var behind = lags.Where(l => l.Value > _options.ProjectionLagDegradedAfter).Select(l => $"{l.Key} is {l.Value} records behind").ToList();
        var all = string.Join(", ", lags.Select(l => $"{l.Key}: {l.Value}"));
        return Task.FromResult(behind.Count == 0
            ? HealthCheckResult.Healthy(lags.Count == 0 ? "no projections" : $"projection lag (records) {all}")
            : HealthCheckResult.Degraded($"{string.Join(", ", behind)} (more than {_options.ProjectionLagDegradedAfter}, Symphainy:SmartCity:Nurse:ProjectionLagDegradedAfter)"));
    }

    /// <summary>Nothing to start: the gauge exists from construction; starting the host makes sure it is constructed.</summary>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>A completed task.</returns>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Nothing to stop.</summary>
    /// <param name="cancellationToken">Unused.</param>
    /// <returns>A completed task.</returns>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Disposes the meter when it is the monitor's own (the factory disposes its meters with the host).</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private IEnumerable<Measurement<long>> Observe() =>
        Lags().Select(l => new Measurement<long>(l.Value, new KeyValuePair<string, object?>("projection", l.Key)));
}

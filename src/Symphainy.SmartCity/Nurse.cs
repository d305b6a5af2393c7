using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Symphainy.Diagnostics;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.SmartCity;

/// <summary>
/// The Nurse: telemetry and health. It wires the platform's spans and metrics into OpenTelemetry
/// (<see cref="AddSymphainyInstrumentation(TracerProviderBuilder)"/>) and checks every adapter's health: the
/// write-ahead log (<c>symphainy-wal</c>), the hot state store (<c>symphainy-hot-state</c>) and the state graph
/// (<c>symphainy-state-graph</c>), each by a read that touches the store; projection lag is
/// <see cref="ProjectionLagMonitor"/>, stuck sagas <see cref="StuckSagaMonitor"/>.
/// </summary>
public static class Nurse
{
    /// <summary>The name of the Smart City's meter (stuck sagas, projection lag).</summary>
    public const string SmartCityName = "Symphainy.SmartCity";

    /// <summary>
    /// Every activity source and meter of the platform's planes. Meters are matched by name, so the per-host meters
    /// the Nurse creates through the host's <c>IMeterFactory</c> are included.
    /// </summary>
    public static readonly IReadOnlyList<string> Sources = [SymphainyDiagnostics.Name, "Symphainy.Agents", SmartCityName];

    /// <summary>Adds the platform's spans (intent, saga, step, agent) to a tracer provider.</summary>
    /// <param name="tracing">The tracer provider builder.</param>
    /// <returns>The same builder.</returns>
    public static TracerProviderBuilder AddSymphainyInstrumentation(this TracerProviderBuilder tracing)
    {
        ArgumentNullException.ThrowIfNull(tracing);
        return tracing.AddSource([.. Sources]);
    }

    /// <summary>
    /// Adds the platform's metrics to a meter provider: intents, sagas (ended, duration), steps, agent calls and tokens,
    /// stuck sagas and projection lag.
    /// </summary>
    /// <param name="metrics">The meter provider builder.</param>
    /// <returns>The same builder.</returns>
    public static MeterProviderBuilder AddSymphainyInstrumentation(this MeterProviderBuilder metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metrics.AddMeter([.. Sources]);
    }
}

/// <summary>The write-ahead log answers (its end and start can be read).</summary>
/// <param name="log">The log.</param>
public sealed class WriteAheadLogHealthCheck(IWriteAheadLog log) : IHealthCheck
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var (first, next) = (log.FirstPosition, log.NextPosition);
            return Task.FromResult(HealthCheckResult.Healthy($"{log.GetType().Name}: positions {first} to {next - 1}"));
        }
        catch (Exception e) when (e is SymphainyException or IOException or ObjectDisposedException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"{log.GetType().Name} does not answer: {e.Message}", e));
        }
    }
}

/// <summary>An adapter answers a read that touches its store (the hot state store, the state graph).</summary>
/// <param name="adapter">The adapter, named in the result.</param>
/// <param name="probe">The read.</param>
internal sealed class ProbeHealthCheck(object adapter, Func<CancellationToken, ValueTask> probe) : IHealthCheck
{
    public static ProbeHealthCheck For(IHotStateStore store) => new(store, async ct => await store.GetAsync(HealthProbe.Tenant, "symphainy-health", ct).ConfigureAwait(false));

    public static ProbeHealthCheck For(IStateGraph graph) => new(graph, async ct => await graph.GetNodeAsync(HealthProbe.Tenant, "symphainy-health", ct).ConfigureAwait(false));

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await probe(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(adapter.GetType().Name);
        }
        catch (Exception e) when (e is SymphainyException or IOException or ObjectDisposedException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{adapter.GetType().Name} does not answer: {e.Message}", e);
        }
    }
}

/// <summary>What the health checks read: a key and a node nobody writes, in a tenant of their own.</summary>
internal static class HealthProbe
{
    public static readonly TenantId Tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f01");
}

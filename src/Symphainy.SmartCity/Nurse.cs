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
/// (<c>symphainy-state-graph</c>), each by a read that touches the store.
/// </summary>
public static class Nurse
{
    /// <summary>Every activity source and meter of the platform's planes.</summary>
    public static readonly IReadOnlyList<string> Sources = [SymphainyDiagnostics.Name, "Symphainy.Agents"];

    /// <summary>Adds the platform's spans (intent, saga, step, agent) to a tracer provider.</summary>
    /// <param name="tracing">The tracer provider builder.</param>
    /// <returns>The same builder.</returns>
    public static TracerProviderBuilder AddSymphainyInstrumentation(this TracerProviderBuilder tracing)
    {
        ArgumentNullException.ThrowIfNull(tracing);
        return tracing.AddSource([.. Sources]);
    }

    /// <summary>Adds the platform's metrics (intents, sagas, steps, agent calls and tokens) to a meter provider.</summary>
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

/// <summary>The hot state store answers a read.</summary>
/// <param name="store">The store.</param>
public sealed class HotStateHealthCheck(IHotStateStore store) : IHealthCheck
{
    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.GetAsync(HealthProbe.Tenant, "symphainy-health", cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(store.GetType().Name);
        }
        catch (Exception e) when (e is SymphainyException or IOException or ObjectDisposedException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{store.GetType().Name} does not answer: {e.Message}", e);
        }
    }
}

/// <summary>The state graph answers a query.</summary>
/// <param name="graph">The graph.</param>
public sealed class StateGraphHealthCheck(IStateGraph graph) : IHealthCheck
{
    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await graph.GetNodeAsync(HealthProbe.Tenant, "symphainy-health", cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(graph.GetType().Name);
        }
        catch (Exception e) when (e is SymphainyException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"{graph.GetType().Name} does not answer: {e.Message}", e);
        }
    }
}

/// <summary>What the health checks read: a key and a node nobody writes, in a tenant of their own.</summary>
internal static class HealthProbe
{
    public static readonly TenantId Tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f01");
}

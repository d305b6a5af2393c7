using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Symphainy.PublicWorks.Redis;

/// <summary>Healthy while the Redis server answers a <c>PING</c>; reports the round trip.</summary>
internal sealed class RedisHealthCheck(RedisConnection connection) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await connection.Multiplexer.GetDatabase().PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception e) when (e is SymphainyException || RedisCalls.Translate(e, "checking health") is not null)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis does not answer", e);
        }
    }
}

using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Symphainy.PublicWorks.Arango;

/// <summary>Healthy while the ArangoDB server answers <c>GET /_api/version</c> on the graph's database; reports the version.</summary>
internal sealed class ArangoHealthCheck(ArangoStateGraph graph) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var version = await graph.GetServerVersionAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"ArangoDB {version} answers (database {graph.Database})");
        }
        catch (ArangoException e)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"ArangoDB does not answer: {e.Code}", e);
        }
    }
}

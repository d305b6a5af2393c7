using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Symphainy.Experience;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the HTTP and WebSocket API of docs/http-api.md.</summary>
public static class SymphainyEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the REST routes under <c>/v1</c>, the WebSocket <c>/v1/events</c>, the health endpoints
    /// <c>/v1/health/live</c> and <c>/v1/health/ready</c> (no authentication) and the OpenAPI document at
    /// <c>/openapi/v1.json</c>; enables WebSockets on the application's pipeline. Needs
    /// <see cref="ExperienceSymphainyBuilderExtensions.AddExperience"/> on the services.
    /// </summary>
    /// <param name="app">The application (a <see cref="WebApplication"/>).</param>
    /// <returns>The same application.</returns>
    /// <exception cref="InvalidOperationException">AddExperience was not called.</exception>
    public static TApp MapSymphainy<TApp>(this TApp app)
        where TApp : IEndpointRouteBuilder, IApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ServiceProvider.GetService<ExperienceMarker>() is null)
        {
            throw new InvalidOperationException(
                "MapSymphainy needs the Experience plane: call services.AddSymphainy(s => s.AddExperience()) (or AddExperience on the Symphainy builder) before building the app.");
        }

        app.UseWebSockets();
        RestEndpoints.Map(app);
        app.Map("/v1/events", EventStream.HandleAsync).WithName("SubscribeEvents").WithTags("Symphainy")
            .WithSummary("WebSocket: execution events of one execution, one session or the tenant, from a log position on.");
        app.MapHealthChecks("/v1/health/live", Health("live"));
        app.MapHealthChecks("/v1/health/ready", Health("ready"));
        app.MapOpenApi();
        return app;
    }

    private static HealthCheckOptions Health(string tag) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResponseWriter = WriteReportAsync,
    };

    private static Task WriteReportAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            totalDurationMs = report.TotalDuration.TotalMilliseconds,
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, durationMs = e.Value.Duration.TotalMilliseconds }),
        };
        return JsonSerializer.SerializeAsync(http.Response.Body, body, Wire.Json, http.RequestAborted);
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Symphainy.Experience;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the operator console: a page that streams a tenant's executions and submits intents over the v1 API.</summary>
public static class SymphainyConsoleEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the operator console at <c>/console</c> (<c>/console/app.js</c>, <c>/console/app.css</c>): plain HTML, CSS and
    /// script embedded in this assembly (no build step, nothing loaded from elsewhere), served with a strict
    /// Content-Security-Policy. The page asks for an API key (kept in the browser's session storage only, or taken from
    /// the URL fragment <c>#key=&lt;id&gt;.&lt;secret&gt;</c>), follows the tenant's <c>/v1/events</c> stream, shows each
    /// execution's state, events, artifacts and errors, and submits intents. It calls the routes of
    /// <see cref="SymphainyEndpointRouteBuilderExtensions.MapSymphainy"/> on the same origin, so map both; the page itself
    /// needs no authentication (it holds no data: every call it makes is authenticated by the Security Guard).
    /// </summary>
    /// <typeparam name="TApp">The application type (a <see cref="WebApplication"/>).</typeparam>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    public static TApp MapSymphainyConsole<TApp>(this TApp app)
        where TApp : IEndpointRouteBuilder
    {
        ArgumentNullException.ThrowIfNull(app);
        var index = ConsoleAssets.Find("index.html")!;
        var console = app.MapGroup(ConsoleAssets.Path).WithTags("Symphainy console").ExcludeFromDescription();
        // "/console" and "/console/" alike (routing ignores a trailing slash).
        console.MapMethods("", [HttpMethods.Get, HttpMethods.Head], (HttpContext http) => ConsoleAssets.WriteAsync(http, index));
        console.MapMethods("/{file}", [HttpMethods.Get, HttpMethods.Head], (HttpContext http, string file) =>
            ConsoleAssets.Find(file) is { } asset ? ConsoleAssets.WriteAsync(http, asset) : NotFoundAsync(http));
        return app;
    }

    private static Task NotFoundAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}

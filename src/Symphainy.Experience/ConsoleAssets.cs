using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;

namespace Symphainy.Experience;

/// <summary>
/// The operator console's files (index.html, app.js, app.css), embedded in this assembly so the page works offline and
/// with no build step, served with their content types and a Content-Security-Policy that allows only this origin's
/// script, style and connections (no inline script, no framing).
/// </summary>
internal static class ConsoleAssets
{
    public const string Path = "/console";

    /// <summary>Only same-origin files, no inline script or style, no plugins, no framing; fetch and the WebSocket to this origin.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    public static Asset? Find(string name) => Assets.GetValueOrDefault(name);

    public static Task WriteAsync(HttpContext http, Asset asset)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        http.Response.ContentType = asset.ContentType;
        http.Response.ContentLength = asset.Content.Length;
        return HttpMethods.IsHead(http.Request.Method)
            ? Task.CompletedTask
            : http.Response.Body.WriteAsync(asset.Content, http.RequestAborted).AsTask();
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["index.html"] = "text/html; charset=utf-8",
            ["app.js"] = "text/javascript; charset=utf-8",
            ["app.css"] = "text/css; charset=utf-8",
        };
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var (name, contentType) in files)
        {
            using var stream = assembly.GetManifestResourceStream($"Symphainy.Experience.Console.{name}")
                ?? throw new InvalidOperationException($"The console file '{name}' is not embedded in {assembly.GetName().Name}.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[name] = new Asset(copy.ToArray(), contentType);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    internal sealed record Asset(ReadOnlyMemory<byte> Content, string ContentType);
}

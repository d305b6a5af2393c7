using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Symphainy.PublicWorks.Arango;

namespace Symphainy.PublicWorks.Arango.Tests;

/// <summary>A request the fake server received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The body as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;

    /// <summary>The AQL text of a cursor request.</summary>
    public string Aql => Json.GetProperty("query").GetString()!;

    /// <summary>The bind variables of a cursor request.</summary>
    public JsonElement BindVars => Json.GetProperty("bindVars");

    public bool IsCursorCreate => Method == "POST" && Path.EndsWith("/_api/cursor", StringComparison.Ordinal);
}

/// <summary>An answer the fake server gives.</summary>
public sealed record FakeResponse(int Status, string Body, TimeSpan Delay = default)
{
    public static FakeResponse Json(int status, string body) => new(status, body);
}

/// <summary>
/// A stand-in for ArangoDB in protocol tests: an in-process Kestrel server on a free loopback port that records every
/// request and answers with ArangoDB's documented responses (<see cref="ArangoResponses"/>). Tests queue answers for
/// particular requests (<see cref="Enqueue"/>); every other request gets the documented success answer of its endpoint.
/// It is not ArangoDB: it runs no AQL, so it proves request shapes and the handling of answers, not query semantics.
/// </summary>
public sealed class FakeArangoServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly List<(string Method, Func<RecordedRequest, bool> Matches, Queue<FakeResponse> Answers)> _scripted = [];
    private readonly Lock _gate = new();

    private FakeArangoServer(WebApplication app) => _app = app;

    /// <summary>The server's address, such as <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    /// <summary>The AQL cursor requests received (their first request; next batches excluded).</summary>
    public IReadOnlyList<RecordedRequest> Queries => Requests.Where(r => r.IsCursorCreate).ToArray();

    public static async Task<FakeArangoServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeArangoServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    /// <summary>Options pointing at this server, with short retry delays.</summary>
    public ArangoOptions Options(Action<ArangoOptions>? change = null)
    {
        var options = new ArangoOptions { Url = Url, Database = "symphainy", User = "root", Password = "secret", RetryDelay = TimeSpan.FromMilliseconds(1), RequestTimeout = TimeSpan.FromSeconds(20) };
        change?.Invoke(options);
        return options;
    }

    /// <summary>Answers the next requests matching <paramref name="method"/> and <paramref name="matches"/> with <paramref name="answers"/>, in order.</summary>
    public void Enqueue(string method, Func<RecordedRequest, bool> matches, params FakeResponse[] answers)
    {
        lock (_gate)
        {
            _scripted.Add((method, matches, new Queue<FakeResponse>(answers)));
        }
    }

    /// <summary>Answers the next requests whose path ends with <paramref name="pathSuffix"/>.</summary>
    public void Enqueue(string method, string pathSuffix, params FakeResponse[] answers) =>
        Enqueue(method, r => r.Path.EndsWith(pathSuffix, StringComparison.Ordinal), answers);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var request = new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, body);
        _requests.Enqueue(request);

        var answer = Scripted(request) ?? Documented(request);
        if (answer.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(answer.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(answer.Body);
    }

    private FakeResponse? Scripted(RecordedRequest request)
    {
        lock (_gate)
        {
            foreach (var (method, matches, answers) in _scripted)
            {
                if (method == request.Method && answers.Count > 0 && matches(request))
                {
                    return answers.Dequeue();
                }
            }
        }

        return null;
    }

    /// <summary>The documented success answer of each endpoint the graph uses.</summary>
    private static FakeResponse Documented(RecordedRequest r) => (r.Method, r.Path) switch
    {
        ("GET", var p) when p.EndsWith("/_api/version", StringComparison.Ordinal) => new(200, ArangoResponses.Version),
        ("GET", var p) when p.EndsWith("/_api/database/current", StringComparison.Ordinal) => new(200, ArangoResponses.DatabaseCurrent),
        ("POST", "/_db/_system/_api/database") => new(201, ArangoResponses.DatabaseCreated),
        ("POST", var p) when p.EndsWith("/_api/collection", StringComparison.Ordinal) => new(200, ArangoResponses.CollectionCreated(r.Json.GetProperty("name").GetString()!, r.Json.GetProperty("type").GetInt32())),
        ("POST", var p) when p.EndsWith("/_api/index", StringComparison.Ordinal) => new(201, ArangoResponses.IndexCreated),
        ("POST", var p) when p.EndsWith("/_api/cursor", StringComparison.Ordinal) => new(201, ArangoResponses.Cursor(201, "[]", hasMore: false)),
        ("POST", var p) when p.EndsWith("/_api/transaction/begin", StringComparison.Ordinal) => new(201, ArangoResponses.Transaction(201, "7781", "running")),
        ("PUT", var p) when p.Contains("/_api/transaction/", StringComparison.Ordinal) => new(200, ArangoResponses.Transaction(200, p[(p.LastIndexOf('/') + 1)..], "committed")),
        ("DELETE", var p) when p.Contains("/_api/transaction/", StringComparison.Ordinal) => new(200, ArangoResponses.Transaction(200, p[(p.LastIndexOf('/') + 1)..], "aborted")),
        ("DELETE", var p) when p.Contains("/_api/cursor/", StringComparison.Ordinal) => new(202, """{"id":"0","error":false,"code":202}"""),
        _ => new(404, ArangoResponses.Error(404, 404, "unknown path")),
    };
}

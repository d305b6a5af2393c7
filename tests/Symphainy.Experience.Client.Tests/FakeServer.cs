using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Symphainy.Experience.Client.Tests;

/// <summary>One request as the fake server received it.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A small server that speaks the HTTP API contract on real Kestrel (loopback, port 0): the routes the client calls,
/// failures injected on command, and a WebSocket events endpoint whose connections the test drives one by one.
/// </summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<HttpContext, Task>>> failures = new();
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private readonly Channel<FakeWatch> watches = Channel.CreateUnbounded<FakeWatch>();
    private int watchAttempts;

    private FakeServer(WebApplication app)
    {
        this.app = app;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => requests.ToArray();

    /// <summary>Upgrade requests to /v1/events, accepted or not.</summary>
    public int WatchAttempts => Volatile.Read(ref watchAttempts);

    /// <summary>When set, /v1/events answers this status instead of upgrading.</summary>
    public int? RefuseWatchesWith { get; set; }

    /// <summary>The state GET /v1/executions/{id} reports, asked anew on each request.</summary>
    public Func<string, string> ExecutionState { get; set; } = _ => "Running";

    public static async Task<FakeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeServer(app);
        server.Map();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseAddress = new Uri(address + "/");
        return server;
    }

    public int Count(string method, string path) => requests.Count(r => r.Method == method && r.Path == path);

    /// <summary>The next <paramref name="times"/> requests to <paramref name="method"/> <paramref name="path"/> get a problem details answer.</summary>
    public void FailWithProblem(string method, string path, int times, int status, string code, bool retryable = false, int? retryAfterHeader = null, double? retryAfterSeconds = null)
    {
        Fail(method, path, times, async context =>
        {
            context.Response.StatusCode = status;
            if (retryAfterHeader is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                type = $"urn:symphainy:error:{code}",
                title = "Refused",
                status,
                detail = $"detail of {code}",
                code,
                retryable,
                retryAfterSeconds,
            }));
        });
    }

    /// <summary>The next <paramref name="times"/> requests get an error that is not problem details.</summary>
    public void FailWithText(string method, string path, int times, int status, string text) =>
        Fail(method, path, times, async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync(text);
        });

    /// <summary>The next <paramref name="times"/> requests get no answer until the client gives up on them.</summary>
    public void Hang(string method, string path, int times) =>
        Fail(method, path, times, async context =>
        {
            var aborted = new TaskCompletionSource();
            using var registration = context.RequestAborted.Register(() => aborted.TrySetResult());
            await aborted.Task;
        });

    /// <summary>The next connection to /v1/events, once the client has opened it.</summary>
    public async Task<FakeWatch> NextWatchAsync() => await watches.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Default);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private void Fail(string method, string path, int times, Func<HttpContext, Task> answer)
    {
        var queue = failures.GetOrAdd($"{method} {path}", _ => new ConcurrentQueue<Func<HttpContext, Task>>());
        for (var i = 0; i < times; i++)
        {
            queue.Enqueue(answer);
        }
    }

    private void Map()
    {
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            requests.Enqueue(new RecordedRequest(
                request.Method,
                request.Path.Value!,
                request.QueryString.Value ?? "",
                request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
                body));
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            if (failures.TryGetValue($"{request.Method} {request.Path.Value}", out var queue) && queue.TryDequeue(out var answer))
            {
                await answer(context);
                return;
            }

            await next(context);
        });

        app.MapPost("/v1/intents", () => Results.Accepted("/v1/executions/sag_1", new { intent = "int_1", execution = "sag_1", position = 7, duplicate = false }));
        app.MapGet("/v1/executions/{id}", (string id) => Results.Ok(new
        {
            id,
            definition = "content.analyze",
            version = 2,
            state = ExecutionState(id),
            completedSteps = 1,
            currentStep = "summarize",
            output = new { words = 42 },
        }));
        app.MapGet("/v1/executions/{id}/events", (string id, long? from) => Results.Ok(new[]
        {
            Event(from ?? 1, "SagaStarted", id),
            Event((from ?? 1) + 1, "StepCompleted", id),
        }));
        app.MapGet("/v1/executions/{id}/artifacts", () => Results.Ok(new[] { new { result = "summary", contentHash = "ab12" } }));
        app.MapPost("/v1/executions/{id}/signals/{name}", () => Results.Accepted(null, new { position = 11 }));
        app.MapPost("/v1/executions/{id}/cancel", () => Results.Accepted(null, new { position = 12 }));
        app.MapPost("/v1/sessions", () => Results.Created("/v1/sessions/ses_1", Session("ses_1", ended: false)));
        app.MapGet("/v1/sessions/{id}", (string id) => Results.Ok(Session(id, ended: false)));
        app.MapDelete("/v1/sessions/{id}", () => Results.NoContent());
        app.MapGet("/v1/capabilities", () => Results.Ok(new[]
        {
            new { name = "content.analyze", version = 2, realm = "content", description = "Analyses a document", inputSchema = new { type = "object" } },
        }));
        app.Map("/v1/events", async context =>
        {
            Interlocked.Increment(ref watchAttempts);
            if (RefuseWatchesWith is { } status || !context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = RefuseWatchesWith ?? 400;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var watch = new FakeWatch(context, socket);
            await watches.Writer.WriteAsync(watch);
            await watch.RunAsync();
        });
    }

    internal static object Event(long position, string kind, string execution, string state = "Running") => new
    {
        position,
        kind,
        execution,
        state,
        step = "step" + position.ToString(System.Globalization.CultureInfo.InvariantCulture),
        timestamp = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddSeconds(position),
    };

    private static object Session(string id, bool ended) => new
    {
        id,
        createdAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        expiresAt = new DateTimeOffset(2026, 1, 2, 4, 4, 5, TimeSpan.Zero),
        ended,
    };
}

/// <summary>One accepted WebSocket connection to /v1/events, driven by the test.</summary>
public sealed class FakeWatch
{
    private readonly HttpContext context;
    private readonly WebSocket socket;
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal FakeWatch(HttpContext context, WebSocket socket)
    {
        this.context = context;
        this.socket = socket;
    }

    public long? From => long.TryParse(context.Request.Query["from"], out var from) ? from : null;

    public string? Query(string name) => context.Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;

    public string? Header(string name) => context.Request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;

    /// <summary>Completes when the client closed the connection (or it broke).</summary>
    public Task Closed => closed.Task;

    public Task SendEventAsync(long position, string kind = "StepCompleted", string execution = "sag_1", string state = "Running") =>
        SendAsync(new { type = "event", @event = FakeServer.Event(position, kind, execution, state) });

    public Task SendHeartbeatAsync(long position = 0) => SendAsync(new { type = "heartbeat", position });

    public Task SendErrorAsync(string code) => SendAsync(new { type = "error", code, detail = "detail of " + code });

    /// <summary>Breaks the connection without a close handshake, as a network failure would.</summary>
    public void Drop() => context.Abort();

    internal async Task RunAsync()
    {
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            closed.TrySetResult();
        }
    }

    private async Task SendAsync(object message)
    {
        // Tests send one message at a time (a WebSocket allows one send in flight).
        var json = JsonSerializer.SerializeToUtf8Bytes(message);
        await socket.SendAsync(json, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
    }
}

public static class Timeouts
{
    /// <summary>How long a test waits for something that should happen at once (generous: the machine is shared).</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);
}

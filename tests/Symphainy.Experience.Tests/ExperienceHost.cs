using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Symphainy.Events;
using Symphainy.Hosting;
using Symphainy.Sagas;
using Symphainy.SmartCity;
using Symphainy.Wal;

namespace Symphainy.Experience.Tests;

/// <summary>A host on real Kestrel (a loopback port) with the Experience plane, two tenants with an API key each, and demo capabilities.</summary>
public sealed class ExperienceHost : IAsyncDisposable
{
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);

    private readonly WebApplication _app;

    private ExperienceHost(WebApplication app, Uri address, (TenantId Alice, TenantId Bob) tenants)
    {
        _app = app;
        Address = address;
        (Alice, Bob) = tenants;
    }

    public const string AliceKey = "alice.alice-secret";
    public const string BobKey = "bob.bob-secret";

    public TenantId Alice { get; }

    public TenantId Bob { get; }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public ISagaEngine Engine => Services.GetRequiredService<ISagaEngine>();

    public static async Task<ExperienceHost> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var tenants = (Alice: Ids.Next<TenantId>(), Bob: Ids.Next<TenantId>());
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var configuration = new Dictionary<string, string?>(settings ?? []) { ["Symphainy:Wal:Provider"] = "InMemory" };
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        new SymphainyBuilder(builder.Services)
            .AddRuntime()
            .AddFoundations()
            .AddCapability<Echo>("demo.echo", "demo", "echoes an order's id")
            .AddCapability<Approval>("demo.approve", "demo", "prepares, waits for an approval signal, then finishes")
            .AddCapability<Explain>("demo.explain", "demo", "asks an agent to explain an order")
            .AddCapability<Note>("demo.note", "demo", "returns its note's text as its output")
            .AddSmartCity(security =>
            {
                security.ApiKeys.Add(Key("alice", "alice-secret", tenants.Alice));
                security.ApiKeys.Add(Key("bob", "bob-secret", tenants.Bob));
            })
            .AddExperience();
        builder.Services.AddSingleton<Explainer>();
        var app = builder.Build();
        app.MapSymphainy();
        app.MapSymphainyConsole();
        await app.StartAsync();
        var host = new ExperienceHost(app, new Uri(app.Urls.First()), tenants);
        return host;
    }

    private static ApiKeyOptions Key(string id, string secret, TenantId tenant) =>
        new() { Id = id, SecretHash = SecurityGuard.HashSecret(secret), Tenant = tenant.ToString() };

    public HttpClient Client(string? apiKey = AliceKey)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    public static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The positions of the saga's events, as the log recorded them (through the one mapping).</summary>
    public async Task<List<long>> LoggedPositionsAsync(TenantId tenant, SagaId saga)
    {
        var wal = Services.GetRequiredService<IWriteAheadLog>();
        var positions = new List<long>();
        await foreach (var record in wal.ReadAsync(wal.FirstPosition))
        {
            if (record.Tenant == tenant && record.Saga == saga && ExecutionEventMapping.FromRecord(record) is not null)
            {
                positions.Add(record.Position);
            }
        }

        return positions;
    }

    public async Task<ClientWebSocket> ConnectAsync(string query, string? apiKey = AliceKey)
    {
        var socket = new ClientWebSocket();
        if (apiKey is not null)
        {
            socket.Options.SetRequestHeader("X-Api-Key", apiKey);
        }

        var uri = new UriBuilder(Address) { Scheme = "ws", Path = "/v1/events", Query = query }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    /// <summary>The next message, or null when the server closed the connection.</summary>
    public static async Task<JsonElement?> ReceiveAsync(WebSocket socket, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, cancel.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage)
            {
                using var document = JsonDocument.Parse(message.ToArray());
                return document.RootElement.Clone();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Order(int Id);

    public sealed record Decision(bool Approved, string By);

    public sealed record Memo(string Text);

    public sealed record Explanation(string Text, IReadOnlyList<string> Citations);

    public sealed class Echo : Orchestrator<Order, int>
    {
        public override Task<int> RunAsync(SagaContext saga, Order input) => saga.Step("echo", _ => Task.FromResult(input.Id));
    }

    public sealed class Approval : Orchestrator<Order, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, Order input)
        {
            var prepared = await saga.Step("prepare", _ => Task.FromResult(input.Id * 2));
            var decision = await saga.WaitForSignal<Decision>("approve");
            return await saga.Step("finish", _ => Task.FromResult($"{prepared} {(decision.Approved ? "approved" : "refused")} by {decision.By}"));
        }
    }

    public sealed class Note : Orchestrator<Memo, string>
    {
        public override Task<string> RunAsync(SagaContext saga, Memo input) => saga.Step("note", _ => Task.FromResult(input.Text));
    }

    public sealed class Explain : Orchestrator<Order, Explanation>
    {
        public override Task<Explanation> RunAsync(SagaContext saga, Order input) =>
            saga.Agent("explain", (Explainer agent) => agent.ExplainAsync(input));
    }

    public sealed class Explainer
    {
        public Task<Explanation> ExplainAsync(Order order) => Task.FromResult(new Explanation($"Order {order.Id} is fine.", [$"fact:order/{order.Id}"]));
    }
}

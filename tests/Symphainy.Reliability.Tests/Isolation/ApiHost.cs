using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Sagas;
using Symphainy.SmartCity;

namespace Symphainy.Reliability.Tests.Isolation;

/// <summary>How an <see cref="ApiHost"/> is built.</summary>
public sealed class ApiHostOptions
{
    /// <summary>How many tenants, each with one API key of its own.</summary>
    public int Tenants { get; init; } = 2;

    /// <summary>Settings added to the host's configuration (the Symphainy section).</summary>
    public Dictionary<string, string?> Settings { get; init; } = [];

    /// <summary>A data directory: the embedded durable defaults (file log, SQLite graph) there; null: in-memory log and graph.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>A logger provider to add (every category, every level), or null for no logging.</summary>
    public ILoggerProvider? Logger { get; init; }

    /// <summary>Providers or services to add to the platform (Redis, say).</summary>
    public Action<ISymphainyBuilder>? Providers { get; init; }

    /// <summary>Bearer tokens (HS256) accepted with this base64 key, issuer <c>rel-issuer</c>, audience <c>rel-api</c>.</summary>
    public string? JwtSigningKey { get; init; }
}

/// <summary>
/// A host of the Experience API on real Kestrel (a loopback port) with the Smart City, several tenants with an API key
/// each (secrets random per host, so a scan for them cannot match by chance), and the capabilities the reliability
/// tests drive: a note (its output is its text), an approval that waits for a signal, an agent's explanation (an
/// artifact), and a restricted capability that needs the role <c>finance</c>.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    public const string JwtIssuer = "rel-issuer";
    public const string JwtAudience = "rel-api";

    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);

    private readonly WebApplication _app;

    private ApiHost(WebApplication app, Uri address, IReadOnlyList<TenantAccount> accounts)
    {
        _app = app;
        Address = address;
        Accounts = accounts;
    }

    public Uri Address { get; }

    /// <summary>The tenants and their keys.</summary>
    public IReadOnlyList<TenantAccount> Accounts { get; }

    public IServiceProvider Services => _app.Services;

    public ISagaEngine Engine => Services.GetRequiredService<ISagaEngine>();

    public static async Task<ApiHost> StartAsync(ApiHostOptions? options = null)
    {
        options ??= new ApiHostOptions();
        var accounts = Enumerable.Range(0, options.Tenants)
            .Select(i => new TenantAccount(i, Ids.Next<TenantId>(), $"key{i}", "s" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))))
            .ToArray();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var configuration = new Dictionary<string, string?>(options.Settings);
        if (options.DataDirectory is { } data)
        {
            configuration.TryAdd("Symphainy:DataDirectory", data);
            configuration.TryAdd("Symphainy:Wal:Durability", "OsBuffered");
        }
        else
        {
            configuration.TryAdd("Symphainy:Wal:Provider", "InMemory");
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        if (options.Logger is { } logger)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logger);
        }

        void Configure(ISymphainyBuilder symphainy)
        {
            options.Providers?.Invoke(symphainy);
            Platform(symphainy);
        }

        void Platform(ISymphainyBuilder symphainy) => symphainy
            .AddCapability<Note>("rel.note", "rel", "returns its note's text as its output")
            .AddCapability<Approval>("rel.approve", "rel", "prepares, waits for an approval signal, then finishes")
            .AddCapability<Explain>("rel.explain", "rel", "asks an agent to explain a note (an artifact)")
            .AddCapability<Note>("rel.restricted", "rel", "a note only the role finance may write")
            .AddSmartCity(security =>
            {
                foreach (var account in accounts)
                {
                    security.ApiKeys.Add(new ApiKeyOptions { Id = account.KeyId, SecretHash = SecurityGuard.HashSecret(account.Secret), Tenant = account.Tenant.ToString() });
                }

                security.CapabilityRoles["rel.restricted"] = ["finance"];
                if (options.JwtSigningKey is { } key)
                {
                    security.Jwt = new JwtOptions { Issuer = JwtIssuer, Audience = JwtAudience, SigningKey = key };
                }
            })
            .AddExperience();

        if (options.DataDirectory is not null)
        {
            builder.Services.AddSymphainy(Configure);
        }
        else
        {
            var symphainy = new SymphainyBuilder(builder.Services).AddRuntime().AddFoundations();
            Configure(symphainy);
        }

        builder.Services.AddSingleton<Explainer>();
        var app = builder.Build();
        app.MapSymphainy();
        await app.StartAsync();
        return new ApiHost(app, new Uri(app.Urls.First()), accounts);
    }

    /// <summary>A client with the tenant's API key (or none).</summary>
    public HttpClient Client(TenantAccount? account)
    {
        var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (account is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", account.ApiKey);
        }

        return client;
    }

    /// <summary>A WebSocket to <c>/v1/events</c> with <paramref name="query"/>, authenticated with the tenant's key (or not at all).</summary>
    public async Task<ClientWebSocket> ConnectAsync(string query, TenantAccount? account)
    {
        var socket = new ClientWebSocket();
        if (account is not null)
        {
            socket.Options.SetRequestHeader("X-Api-Key", account.ApiKey);
        }

        var uri = new UriBuilder(Address) { Scheme = "ws", Path = "/v1/events", Query = query }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    public static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    public static ByteArrayContent Bytes(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>One message received, or null when the server closed (its close status and reason are then on the socket).</summary>
    public static async Task<JsonElement?> ReceiveAsync(WebSocket socket, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var buffer = new byte[16 * 1024];
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

    public sealed record Memo(string Text);

    public sealed record Decision(bool Approved, string By);

    public sealed record Explanation(string Text, IReadOnlyList<string> Citations);

    public sealed class Note : Orchestrator<Memo, string>
    {
        public override Task<string> RunAsync(SagaContext saga, Memo input) => saga.Step("note", _ => Task.FromResult(input.Text));
    }

    public sealed class Approval : Orchestrator<Memo, string>
    {
        public override async Task<string> RunAsync(SagaContext saga, Memo input)
        {
            var prepared = await saga.Step("prepare", _ => Task.FromResult(input.Text));
            var decision = await saga.WaitForSignal<Decision>("approve");
            return await saga.Step("finish", _ => Task.FromResult($"{prepared} {(decision.Approved ? "approved" : "refused")} by {decision.By}"));
        }
    }

    public sealed class Explain : Orchestrator<Memo, Explanation>
    {
        public override Task<Explanation> RunAsync(SagaContext saga, Memo input) =>
            saga.Agent("explain", (Explainer agent) => agent.ExplainAsync(input));
    }

    public sealed class Explainer
    {
        public Task<Explanation> ExplainAsync(Memo memo) => Task.FromResult(new Explanation($"The note says {memo.Text}.", [$"fact:note/{memo.Text}"]));
    }
}

/// <summary>A tenant of an <see cref="ApiHost"/> and its API key (<c>id.secret</c>).</summary>
public sealed record TenantAccount(int Index, TenantId Tenant, string KeyId, string Secret)
{
    public string ApiKey => $"{KeyId}.{Secret}";

    public SymphainyPrincipal Principal => new(KeyId, Tenant, new HashSet<string>(StringComparer.Ordinal)) { AuthenticatedBy = "api-key" };
}

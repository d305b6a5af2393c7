using Microsoft.Extensions.DependencyInjection;

namespace Symphainy.Experience.Client.Tests;

/// <summary>A fake server and a client registered as an application would (AddSymphainyClient), with small delays.</summary>
public sealed class ClientFixture : IAsyncDisposable
{
    private readonly ServiceProvider provider;

    private ClientFixture(FakeServer server, ServiceProvider provider)
    {
        Server = server;
        this.provider = provider;
        Client = provider.GetRequiredService<SymphainyClient>();
    }

    public FakeServer Server { get; }

    public SymphainyClient Client { get; }

    public static async Task<ClientFixture> StartAsync(Action<SymphainyClientOptions>? configure = null)
    {
        var server = await FakeServer.StartAsync();
        var services = new ServiceCollection();
        services.AddSymphainyClient(options =>
        {
            options.BaseAddress = server.BaseAddress;
            options.ApiKey = "key_1.secret";
            options.RetryDelay = TimeSpan.FromMilliseconds(10);
            options.WatchReconnectDelay = TimeSpan.FromMilliseconds(10);
            options.WatchReconnectMaxDelay = TimeSpan.FromMilliseconds(40);
            options.WatchIdleTimeout = TimeSpan.FromSeconds(10);
            configure?.Invoke(options);
        });
        return new ClientFixture(server, services.BuildServiceProvider());
    }

    public async ValueTask DisposeAsync()
    {
        await provider.DisposeAsync();
        await Server.DisposeAsync();
    }
}

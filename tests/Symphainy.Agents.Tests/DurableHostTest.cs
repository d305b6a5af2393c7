using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;

namespace Symphainy.Agents.Tests;

/// <summary>Hosts on a file log in a directory of the test's own, so a second host resumes what the first recorded.</summary>
public abstract class DurableHostTest : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-agents-");

    protected TenantId Tenant { get; } = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    public void Dispose()
    {
        _data.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    protected async Task<IHost> StartAsync(Action<ISymphainyBuilder> platform, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _data.FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Symphainy:DataDirectory"] = _data.FullName });
        builder.Logging.ClearProviders();
        platform(new SymphainyBuilder(builder.Services).AddRuntime());
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}

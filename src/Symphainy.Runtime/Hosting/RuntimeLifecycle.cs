using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;

namespace Symphainy.Hosting;

/// <summary>Logs what started and what stopped, so an operator sees the planes and settings in force.</summary>
internal sealed partial class RuntimeLifecycle(
    IEnumerable<PlaneDescriptor> planes,
    IOptions<SymphainyOptions> options,
    ILogger<RuntimeLifecycle> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogStarted(logger, options.Value.InstanceName, string.Join(", ", planes.Select(p => p.Name)), options.Value.DataDirectory);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        LogStopped(logger, options.Value.InstanceName);
        return Task.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Information, "Symphainy instance {InstanceName} started with planes {Planes}; data directory {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, string instanceName, string planes, string dataDirectory);

    [LoggerMessage(2, LogLevel.Information, "Symphainy instance {InstanceName} stopped")]
    private static partial void LogStopped(ILogger logger, string instanceName);
}

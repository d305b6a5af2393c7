using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Wal;

namespace Symphainy.Hosting;

/// <summary>Logs what started and what stopped, so an operator sees the planes and settings in force.</summary>
internal sealed partial class RuntimeLifecycle(
    IEnumerable<PlaneDescriptor> planes,
    IOptions<SymphainyOptions> options,
    IWriteAheadLog wal,
    ILogger<RuntimeLifecycle> logger) : IHostedService
{
    // Taking the log here opens it (and runs its crash recovery) when the host starts, so a damaged log
    // or an unwritable directory stops the host at start instead of failing the first request.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogStarted(logger, options.Value.InstanceName, string.Join(", ", planes.Select(p => p.Name)), options.Value.DataDirectory);
        LogWal(logger, wal.GetType().Name, wal.FirstPosition, wal.NextPosition);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        LogStopped(logger, options.Value.InstanceName);
        return Task.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Information, "Symphainy instance {InstanceName} started with planes {Planes}; data directory {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, string instanceName, string planes, string dataDirectory);

    [LoggerMessage(3, LogLevel.Information, "Write-ahead log {Log} ready: first position {FirstPosition}, next position {NextPosition}")]
    private static partial void LogWal(ILogger logger, string log, long firstPosition, long nextPosition);

    [LoggerMessage(2, LogLevel.Information, "Symphainy instance {InstanceName} stopped")]
    private static partial void LogStopped(ILogger logger, string instanceName);
}

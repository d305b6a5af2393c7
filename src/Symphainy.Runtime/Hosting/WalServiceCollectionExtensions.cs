using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Wal;

namespace Symphainy.Hosting;

/// <summary>
/// Registers the default write-ahead log: the built-in log named by <c>Symphainy:Wal:Provider</c>. A provider package
/// replaces it by choosing its own (<see cref="ServiceSlots.Choose"/>), a host by registering its own.
/// </summary>
internal static class WalServiceCollectionExtensions
{
    public static IServiceCollection AddWriteAheadLog(this IServiceCollection services)
    {
        services.AddDefault(ServiceDescriptor.Singleton<IWriteAheadLog>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SymphainyOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            if (options.Wal.Provider == WalProvider.InMemory)
            {
                return new InMemoryWriteAheadLog(time, options.Wal.MaxRecordBytes);
            }

            var environment = sp.GetService<IHostEnvironment>();
            var wal = options.Wal;
            var resolved = new WalOptions
            {
                Provider = wal.Provider,
                Directory = DataPaths.UnderDataDirectory(options, environment, wal.Directory),
                Durability = wal.Durability,
                SegmentSizeBytes = wal.SegmentSizeBytes,
                MaxRecordBytes = wal.MaxRecordBytes,
                MaxBatchBytes = wal.MaxBatchBytes,
                ArchiveDirectory = string.IsNullOrWhiteSpace(wal.ArchiveDirectory) ? null : DataPaths.UnderDataDirectory(options, environment, wal.ArchiveDirectory),
            };
            return new FileWriteAheadLog(resolved.Directory, resolved, time, sp.GetService<ILogger<FileWriteAheadLog>>());
        }));
        return services;
    }
}

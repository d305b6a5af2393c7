using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Symphainy.Configuration;
using Symphainy.Events;
using Symphainy.Hosting;
using Symphainy.PublicWorks.Redis;
using Symphainy.State;
using Symphainy.Wal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis provider.</summary>
public static class RedisSymphainyBuilderExtensions
{
    // One instance each, so that choosing twice registers each choice once.
    private static readonly ServiceDescriptor HotState = ServiceDescriptor.Singleton<IHotStateStore>(sp =>
    {
        var connection = sp.GetRequiredService<RedisConnection>();
        return new RedisHotStateStore(connection.Multiplexer, connection.KeyPrefix, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<RedisOptions>>().Value.ExpiryGrace);
    });

    private static readonly ServiceDescriptor Log = ServiceDescriptor.Singleton<IWriteAheadLog>(sp =>
    {
        var connection = sp.GetRequiredService<RedisConnection>();
        var maxRecordBytes = sp.GetRequiredService<IOptions<SymphainyOptions>>().Value.Wal.MaxRecordBytes;
        var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
        return new RedisWriteAheadLog(connection.Multiplexer, connection.KeyPrefix, sp.GetRequiredService<TimeProvider>(), maxRecordBytes, writeEvents: true, options.EventsKeptPerTenant, trimOnCheckpoint: options.TrimLog);
    });

    private static readonly ServiceDescriptor Events = ServiceDescriptor.Singleton<IExecutionEventBus>(sp =>
    {
        var connection = sp.GetRequiredService<RedisConnection>();
        // When the log is the Redis log on the same prefix it writes each record's event itself, in the same script.
        var fedByLog = sp.GetRequiredService<IWriteAheadLog>() is RedisWriteAheadLog { WritesEvents: true } log && log.KeyPrefix == connection.KeyPrefix;
        return new RedisExecutionEventBus(connection.Multiplexer, connection.KeyPrefix, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<RedisOptions>>().Value.EventsKeptPerTenant, fedByLog);
    });

    /// <summary>
    /// Chooses Redis (<c>Symphainy:Redis:*</c>) for the hot state store, the write-ahead log and the execution event bus,
    /// in place of the defaults whether called before or after them, and adds a <c>symphainy-redis</c> health check. A
    /// service of those types the host registers after this call still wins. The connection opens when the host starts
    /// and checks that the server keeps what it acknowledges (<see cref="RedisOptions.RequireAlwaysFsync"/>). An
    /// <see cref="IConnectionMultiplexer"/> the host registered is used (and left open) instead of a new one.
    /// </summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder UseRedis(this ISymphainyBuilder builder) => Use(builder, null);

    /// <summary>Chooses Redis, configured in code after configuration binding; otherwise as <see cref="UseRedis(ISymphainyBuilder)"/>.</summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="configure">Code configuration, applied after configuration binding.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder UseRedis(this ISymphainyBuilder builder, Action<RedisOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Use(builder, configure);
    }

    /// <summary>Chooses Redis at <paramref name="connectionString"/>; otherwise as <see cref="UseRedis(ISymphainyBuilder)"/>.</summary>
    /// <param name="builder">The Symphainy builder.</param>
    /// <param name="connectionString">The StackExchange.Redis configuration string, such as <c>localhost:6379</c>.</param>
    /// <returns>The same builder.</returns>
    public static ISymphainyBuilder UseRedis(this ISymphainyBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return Use(builder, o => o.ConnectionString = connectionString);
    }

    private static ISymphainyBuilder Use(ISymphainyBuilder builder, Action<RedisOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (builder.TryAddPlane("PublicWorks.Redis", "hot state, write-ahead log and execution events on Redis", typeof(RedisConnection)))
        {
            services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisOptions>, AnnotatedOptionsValidator<RedisOptions>>());
            services.TryAddSingleton(sp => new RedisConnection(
                sp.GetRequiredService<IOptions<RedisOptions>>(),
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<RedisConnection>>(),
                sp.GetService<IConnectionMultiplexer>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RedisStartup>());
            services.AddHealthChecks().AddCheck<RedisHealthCheck>("symphainy-redis", tags: ["symphainy", "redis"]);
        }

        services.Choose(HotState);
        services.Choose(Log);
        services.Choose(Events);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }

    /// <summary>Opens the connection when the host starts, so a server that is missing or not durable stops the start.</summary>
    private sealed class RedisStartup(RedisConnection connection) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = connection.Multiplexer;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Symphainy.PublicWorks.Redis;

/// <summary>
/// The one connection the provider's adapters share: the host's own <see cref="IConnectionMultiplexer"/> when it
/// registered one (never closed here), or one opened from <see cref="RedisOptions.ConnectionString"/> on first use
/// and closed when the host is disposed. Opening it checks the server's durability settings once.
/// </summary>
internal sealed partial class RedisConnection : IAsyncDisposable
{
    private readonly RedisOptions _options;
    private readonly IConnectionMultiplexer? _hostOwned;
    private readonly ILogger _logger;
    private readonly Lazy<IConnectionMultiplexer> _connection;

    public RedisConnection(IOptions<RedisOptions> options, ILogger<RedisConnection> logger, IConnectionMultiplexer? hostOwned = null)
    {
        _options = options.Value;
        _hostOwned = hostOwned;
        _logger = logger;
        _connection = new Lazy<IConnectionMultiplexer>(Open, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public IConnectionMultiplexer Multiplexer => _connection.Value;

    public string KeyPrefix => _options.KeyPrefix;

    public async ValueTask DisposeAsync()
    {
        if (_hostOwned is null && _connection.IsValueCreated)
        {
            await _connection.Value.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IConnectionMultiplexer Open()
    {
        var connection = _hostOwned;
        if (connection is null)
        {
            var configuration = Configuration(_options);
            try
            {
                connection = ConnectionMultiplexer.Connect(configuration);
            }
            catch (RedisConnectionException e)
            {
                throw new SymphainyException(RedisErrorCodes.Unavailable,
                    $"Could not connect to Redis at '{Redacted(configuration)}' within {_options.ConnectTimeout.TotalSeconds:0.#} s (Symphainy:Redis:ConnectionString, Symphainy:Redis:ConnectTimeout): {e.Message}", e);
            }
        }

        try
        {
            CheckDurability(connection);
        }
        catch
        {
            if (_hostOwned is null)
            {
                connection.Dispose();
            }

            throw;
        }

        return connection;
    }

    /// <summary>
    /// The log promises that an acknowledged record survives a crash; on Redis that holds only with
    /// <c>appendonly yes</c> and <c>appendfsync always</c>. Checked with <c>CONFIG GET</c> on a short admin connection.
    /// </summary>
    private void CheckDurability(IConnectionMultiplexer connection)
    {
        if (!_options.RequireAlwaysFsync)
        {
            LogDurabilityNotChecked(_logger);
            return;
        }

        var admin = ConfigurationOptions.Parse(connection.Configuration);
        admin.AllowAdmin = true;
        admin.AbortOnConnectFail = true;
        admin.ConnectTimeout = (int)_options.ConnectTimeout.TotalMilliseconds;
        string? appendOnly = null, appendFsync = null;
        try
        {
            using var check = ConnectionMultiplexer.Connect(admin);
            var server = check.GetServers().First(s => !s.IsReplica);
            var settings = server.ConfigGet("append*").ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
            appendOnly = settings.GetValueOrDefault("appendonly");
            appendFsync = settings.GetValueOrDefault("appendfsync");
        }
        catch (Exception e) when (e is RedisException or InvalidOperationException)
        {
            throw new SymphainyException(RedisErrorCodes.NotDurable,
                $"Could not read the Redis server's persistence settings (CONFIG GET appendonly, appendfsync): {e.Message}. If the server does not allow CONFIG, make sure it runs with appendonly yes and appendfsync always, and set Symphainy:Redis:RequireAlwaysFsync to false.", e);
        }

        if (!string.Equals(appendOnly, "yes", StringComparison.OrdinalIgnoreCase) || !string.Equals(appendFsync, "always", StringComparison.OrdinalIgnoreCase))
        {
            throw new SymphainyException(RedisErrorCodes.NotDurable,
                $"The Redis server runs with appendonly {appendOnly ?? "?"} and appendfsync {appendFsync ?? "?"}: records it acknowledges can be lost when it crashes. Run it with appendonly yes and appendfsync always, or set Symphainy:Redis:RequireAlwaysFsync to false to accept the server's durability (documented in the package README).");
        }
    }

    internal static ConfigurationOptions Configuration(RedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString);
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.AbortOnConnectFail = true;
        configuration.ClientName ??= "symphainy";
        return configuration;
    }

    private static string Redacted(ConfigurationOptions configuration) => configuration.ToString(includePassword: false);

    [LoggerMessage(1, LogLevel.Warning, "Symphainy:Redis:RequireAlwaysFsync is false: the Redis log is as durable as the server's appendfsync setting; acknowledged records can be lost if the server crashes")]
    private static partial void LogDurabilityNotChecked(ILogger logger);
}

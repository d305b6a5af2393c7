using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Intake;

namespace Symphainy.SmartCity;

/// <summary>A fixed-window rate limit: at most <see cref="PermitLimit"/> intents per <see cref="Window"/>.</summary>
public sealed class RateLimit
{
    /// <summary>Intents allowed per window (at least 1).</summary>
    public int PermitLimit { get; set; } = 100;

    /// <summary>The window. Default one second.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Traffic Cop settings, under <c>Symphainy:SmartCity:Traffic</c>.</summary>
[Symphainy.Configuration.OptionsSection(SectionName)]
public sealed class TrafficCopOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "Symphainy:SmartCity:Traffic";

    /// <summary>The limit each tenant's intents share (null: none).</summary>
    public RateLimit? PerTenant { get; set; }

    /// <summary>The limit each session's intents share (null: none); intents without a session are not counted here.</summary>
    public RateLimit? PerSession { get; set; }

    /// <summary>
    /// How many sagas of one session may run at once on a host (null: any number). With 1, a session's sagas run one
    /// after another in the order their intents were accepted; later ones wait, recorded and pending, for the earlier
    /// one to end. A saga waiting for a timer or a signal keeps its session's place.
    /// </summary>
    public int? SessionConcurrency { get; set; }

    /// <summary>Limits per capability (intent type), each counted per tenant.</summary>
    public IDictionary<string, RateLimit> PerCapability { get; } = new Dictionary<string, RateLimit>(StringComparer.Ordinal);
}

/// <summary>
/// The Traffic Cop: per-tenant, per-session and per-capability rate limits at intake (System.Threading.RateLimiting, fixed
/// windows, one partition per tenant). An intent over a limit is refused before anything is recorded, with
/// <c>traffic.rate_limited</c> (<see cref="RateLimitedException"/>) saying when a retry may pass.
/// </summary>
public sealed partial class TrafficCop : IIntakePolicy, IDisposable
{
    private readonly PartitionedRateLimiter<(TenantId Tenant, string? Capability, SessionId? Session)> _limiter;
    private readonly ILogger _logger;

    /// <summary>Creates the cop.</summary>
    /// <param name="options">Its limits.</param>
    /// <param name="logger">Where refusals are logged.</param>
    public TrafficCop(IOptions<TrafficCopOptions> options, ILogger<TrafficCop> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _logger = logger;
        var limiters = new List<PartitionedRateLimiter<(TenantId Tenant, string? Capability, SessionId? Session)>>();
        if (settings.PerTenant is { } perTenant)
        {
            limiters.Add(PartitionedRateLimiter.Create<(TenantId Tenant, string? Capability, SessionId? Session), TenantId>(key => RateLimitPartition.GetFixedWindowLimiter(key.Tenant, _ => Window(perTenant))));
        }

        if (settings.PerSession is { } perSession)
        {
            limiters.Add(PartitionedRateLimiter.Create<(TenantId Tenant, string? Capability, SessionId? Session), (TenantId Tenant, SessionId? Session)>(key =>
                key.Session is null
                    ? RateLimitPartition.GetNoLimiter((key.Tenant, key.Session))
                    : RateLimitPartition.GetFixedWindowLimiter((key.Tenant, key.Session), _ => Window(perSession))));
        }

        var perCapability = settings.PerCapability.ToDictionary(StringComparer.Ordinal);
        if (perCapability.Count > 0)
        {
            limiters.Add(PartitionedRateLimiter.Create<(TenantId Tenant, string? Capability, SessionId? Session), (TenantId Tenant, string Capability)>(key =>
            {
                if (key.Capability is { } capability && perCapability.TryGetValue(capability, out var limit))
                {
                    return RateLimitPartition.GetFixedWindowLimiter((key.Tenant, capability), _ => Window(limit));
                }

                return RateLimitPartition.GetNoLimiter((key.Tenant, string.Empty));
            }));
        }

        _limiter = limiters.Count == 0
            ? PartitionedRateLimiter.Create<(TenantId Tenant, string? Capability, SessionId? Session), int>(_ => RateLimitPartition.GetNoLimiter(0))
            : PartitionedRateLimiter.CreateChained([.. limiters]);
    }

    /// <inheritdoc/>
    public ValueTask EvaluateAsync(IntakeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var lease = _limiter.AttemptAcquire((context.Intent.Tenant, context.Intent.Type, context.Intent.Session));
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            LogLimited(_logger, context.Intent.Tenant, context.Intent.Type, retryAfter);
            throw new RateLimitedException($"Too many '{context.Intent.Type}' intents for tenant {context.Intent.Tenant}; retry after {retryAfter.TotalMilliseconds:0} ms.", retryAfter);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose() => _limiter.Dispose();

    private static FixedWindowRateLimiterOptions Window(RateLimit limit) => new()
    {
        PermitLimit = Math.Max(1, limit.PermitLimit),
        Window = limit.Window > TimeSpan.Zero ? limit.Window : TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    [LoggerMessage(710, LogLevel.Information, "Traffic Cop refused a '{Capability}' intent of tenant {Tenant}: rate limit reached, retry after {RetryAfter}")]
    private static partial void LogLimited(ILogger logger, TenantId tenant, string capability, TimeSpan retryAfter);
}

/// <summary>A request refused by a rate limit, with when to try again.</summary>
public sealed class RateLimitedException : SymphainyException
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What was limited.</param>
    /// <param name="retryAfter">When a retry may pass.</param>
    public RateLimitedException(string message, TimeSpan retryAfter)
        : base(SmartCityErrorCodes.RateLimited, message) => RetryAfter = retryAfter;

    /// <summary>How long to wait before retrying.</summary>
    public TimeSpan RetryAfter { get; }
}

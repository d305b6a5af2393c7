using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Symphainy.Experience.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="SymphainyClient"/> as a typed HTTP client with retries and timeouts.</summary>
public static class SymphainyClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SymphainyClient"/> (a typed client of <see cref="System.Net.Http.IHttpClientFactory"/>) with a
    /// resilience handler: a timeout per request over all attempts, retries of idempotent requests (GET, and
    /// <c>POST /v1/intents</c> only with an idempotency key) after transient failures and 429/503, honouring
    /// <c>Retry-After</c>, and a timeout per attempt.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the server's address, the credentials and the limits.</param>
    /// <returns>The HTTP client builder, to add handlers of your own.</returns>
    public static IHttpClientBuilder AddSymphainyClient(this IServiceCollection services, Action<SymphainyClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SymphainyClientOptions>().Configure(configure);
        services.TryAddSingleton(TimeProvider.System);
        var builder = services.AddHttpClient(nameof(SymphainyClient));
        builder.AddTypedClient((http, provider) => new SymphainyClient(
            http,
            provider.GetRequiredService<IOptions<SymphainyClientOptions>>().Value,
            provider.GetRequiredService<TimeProvider>()));
        builder.AddResilienceHandler("symphainy", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<SymphainyClientOptions>>().Value;
            pipeline.AddTimeout(options.RequestTimeout);
            if (options.MaxRetryAttempts > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetryAttempts,
                    Delay = options.RetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(
                        IsSafeToRepeat(args.Context.GetRequestMessage()) && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                });
            }

            pipeline.AddTimeout(options.AttemptTimeout);
        });
        return builder;
    }

    /// <summary>
    /// Whether sending the request twice does what sending it once does. GET, HEAD and DELETE do; a submission does only
    /// with an idempotency key (the server answers a repeat with the first acceptance); signals and cancellations are
    /// recorded once per request, so they are never repeated.
    /// </summary>
    internal static bool IsSafeToRepeat(HttpRequestMessage? request)
    {
        if (request is null)
        {
            return false;
        }

        if (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Delete)
        {
            return true;
        }

        return request.Method == HttpMethod.Post
            && request.RequestUri?.AbsolutePath.EndsWith("/v1/intents", StringComparison.Ordinal) == true
            && request.Headers.Contains(SymphainyClient.IdempotencyKeyHeader);
    }
}

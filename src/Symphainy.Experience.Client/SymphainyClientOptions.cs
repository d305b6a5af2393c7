namespace Symphainy.Experience.Client;

/// <summary>Where the server is, how to authenticate, and how hard to try.</summary>
public sealed class SymphainyClientOptions
{
    /// <summary>The server's address (<c>https://host/</c>); the routes under <c>/v1</c> are resolved against it.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>An API key (<c>&lt;id&gt;.&lt;secret&gt;</c>), sent as <c>X-Api-Key</c>. Set this or <see cref="BearerToken"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>A JWT, sent as <c>Authorization: Bearer</c>. Set this or <see cref="ApiKey"/>.</summary>
    public string? BearerToken { get; set; }

    /// <summary>How long one HTTP attempt may take before it is abandoned (and retried when the request is idempotent). Default 10 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a request may take over all its attempts. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times an idempotent request is retried after a transient failure (0 turns retries off). Default 3.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The first retry's delay; later ones back off exponentially, with jitter. A server's <c>Retry-After</c> wins. Default 1 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many reconnects in a row a watch tries after its connection drops before it gives up. Default 8.</summary>
    public int WatchMaxReconnectAttempts { get; set; } = 8;

    /// <summary>The first reconnect's delay; later ones double up to <see cref="WatchReconnectMaxDelay"/>, with jitter. Default 500 ms.</summary>
    public TimeSpan WatchReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest delay between two reconnects. Default 30 s.</summary>
    public TimeSpan WatchReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a watch waits for any message (an event or a heartbeat) before it takes the connection for dead and
    /// reconnects. Keep it above the server's heartbeat interval (<c>Symphainy:Experience:HeartbeatSeconds</c>, 15 s by
    /// default). Default 45 s.
    /// </summary>
    public TimeSpan WatchIdleTimeout { get; set; } = TimeSpan.FromSeconds(45);

    internal void Validate()
    {
        if (ApiKey is not null && BearerToken is not null)
        {
            throw new InvalidOperationException("Set either SymphainyClientOptions.ApiKey or BearerToken, not both.");
        }

        if (MaxRetryAttempts < 0 || WatchMaxReconnectAttempts < 0)
        {
            throw new InvalidOperationException("Retry and reconnect attempts cannot be negative.");
        }

        if (AttemptTimeout <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero || WatchIdleTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Timeouts must be positive.");
        }

        if (RetryDelay < TimeSpan.Zero || WatchReconnectDelay < TimeSpan.Zero || WatchReconnectMaxDelay < WatchReconnectDelay)
        {
            throw new InvalidOperationException("Delays cannot be negative, and the reconnect delay cannot exceed its maximum.");
        }
    }
}

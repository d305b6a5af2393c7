namespace Symphainy.Sagas;

/// <summary>
/// How a failed step is tried again: up to <see cref="MaxAttempts"/> attempts, waiting an exponentially growing,
/// jittered backoff between them, only for errors of <see cref="RetryableKinds"/> that say they are retryable.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>The default: 3 attempts, 100 ms doubling up to 30 s, 20% jitter, platform and agent errors.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>One attempt, no retry.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>Attempts in all, the first included. At least 1.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Backoff before the second attempt.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Each further backoff is the previous one times this.</summary>
    public double BackoffMultiplier { get; init; } = 2.0;

    /// <summary>The longest backoff.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Random spread of each backoff, as a fraction (0.2 = ±20%), from the injected random source.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>
    /// Kinds of error that are retried, when the error says it is retryable. An exception that is not a
    /// <see cref="SymphainyException"/> counts as a retryable <see cref="ErrorKind.Platform"/> error.
    /// </summary>
    public IReadOnlySet<ErrorKind> RetryableKinds { get; init; } = new HashSet<ErrorKind> { ErrorKind.Platform, ErrorKind.Agent };

    /// <summary>Whether <paramref name="error"/> from attempt <paramref name="attempt"/> gets another attempt.</summary>
    /// <param name="error">What the attempt threw.</param>
    /// <param name="attempt">The attempt that failed, from 1.</param>
    public bool ShouldRetry(Exception error, int attempt)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (attempt >= MaxAttempts)
        {
            return false;
        }

        return error is SymphainyException typed
            ? typed.IsRetryable && RetryableKinds.Contains(typed.Kind)
            : RetryableKinds.Contains(ErrorKind.Platform);
    }

    /// <summary>The wait after failed attempt <paramref name="attempt"/>.</summary>
    /// <param name="attempt">The attempt that failed, from 1.</param>
    /// <param name="random">The source of the jitter.</param>
    public TimeSpan Backoff(int attempt, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var raw = InitialBackoff.TotalMilliseconds * Math.Pow(BackoffMultiplier, attempt - 1);
        var capped = Math.Min(raw, MaxBackoff.TotalMilliseconds);
        var spread = 1 + (Jitter * ((2 * random.NextDouble()) - 1));
        return TimeSpan.FromMilliseconds(Math.Max(0, capped * spread));
    }
}

using System.Net;

namespace Symphainy.Experience.Client;

/// <summary>
/// A request the server refused or could not answer, or a watch that could not be kept up. <see cref="Code"/> is the
/// server's error code (docs/errors.md) or one of <see cref="SymphainyClientErrors"/>.
/// </summary>
public sealed class SymphainyClientException : Exception
{
    /// <summary>Creates an exception.</summary>
    public SymphainyClientException()
        : this(SymphainyClientErrors.UnexpectedResponse, "The server's answer was not understood.")
    {
    }

    /// <summary>Creates an exception.</summary>
    /// <param name="message">What went wrong.</param>
    public SymphainyClientException(string message)
        : this(SymphainyClientErrors.UnexpectedResponse, message)
    {
    }

    /// <summary>Creates an exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure behind it.</param>
    public SymphainyClientException(string message, Exception innerException)
        : this(SymphainyClientErrors.UnexpectedResponse, message, innerException: innerException)
    {
    }

    /// <summary>Creates an exception.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="status">The HTTP status, when there was an answer.</param>
    /// <param name="retryable">Whether the same request may succeed later.</param>
    /// <param name="retryAfter">How long to wait before retrying, when the server said.</param>
    /// <param name="problem">The problem details body, when the server sent one.</param>
    /// <param name="innerException">The failure behind it.</param>
    public SymphainyClientException(
        string code,
        string message,
        HttpStatusCode? status = null,
        bool retryable = false,
        TimeSpan? retryAfter = null,
        Problem? problem = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        Code = code;
        Status = status;
        Retryable = retryable;
        RetryAfter = retryAfter;
        Problem = problem;
    }

    /// <summary>The error code: the server's (<c>intake.invalid_payload</c>, <c>traffic.rate_limited</c>…) or the client's (<see cref="SymphainyClientErrors"/>).</summary>
    public string Code { get; }

    /// <summary>The HTTP status, when the server answered.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>Whether the same request may succeed later.</summary>
    public bool Retryable { get; }

    /// <summary>How long to wait before retrying, from <c>Retry-After</c> or the problem's <c>retryAfterSeconds</c>.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The problem details body, when the server sent one.</summary>
    public Problem? Problem { get; }
}

/// <summary>The codes the client raises itself (the server's are in docs/errors.md).</summary>
public static class SymphainyClientErrors
{
    /// <summary>The server answered with an error that is not a problem details body, or with a body the client cannot read.</summary>
    public const string UnexpectedResponse = "client.unexpected_response";

    /// <summary>The server could not be reached or did not answer in time (after the retries allowed, for an idempotent request).</summary>
    public const string Unavailable = "client.unavailable";

    /// <summary>A watch lost its connection and every reconnect allowed (<see cref="SymphainyClientOptions.WatchMaxReconnectAttempts"/>) failed.</summary>
    public const string WatchReconnectExhausted = "client.watch_reconnect_exhausted";
}

using System.Globalization;
using Microsoft.AspNetCore.Http;
using Symphainy.SmartCity;

namespace Symphainy.Experience;

/// <summary>RFC 9457 problem details from <see cref="SymphainyException"/> codes, with the statuses docs/http-api.md names.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    private static readonly TimeSpan HostRetryAfter = TimeSpan.FromSeconds(5);

    public static int StatusOf(SymphainyException error) => error.Code switch
    {
        "experience.payload_too_large" or "intake.payload_too_large" => StatusCodes.Status413PayloadTooLarge,
        "intake.unknown_intent_type" => StatusCodes.Status404NotFound,
        _ when error.Code.StartsWith("intake.", StringComparison.Ordinal) => StatusCodes.Status400BadRequest,
        _ when error.Code.EndsWith(".not_found", StringComparison.Ordinal) => StatusCodes.Status404NotFound,
        "session.ended" or "saga.already_ended" => StatusCodes.Status409Conflict,
        "security.unauthenticated" => StatusCodes.Status401Unauthorized,
        "security.forbidden" => StatusCodes.Status403Forbidden,
        "traffic.rate_limited" => StatusCodes.Status429TooManyRequests,
        "host.stopping" or "host.not_started" => StatusCodes.Status503ServiceUnavailable,
        "experience.invalid_request" or "id.invalid" or "state.invalid_argument" or "events.invalid_position" => StatusCodes.Status400BadRequest,
        _ => error.IsRetryable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
    };

    public static TimeSpan? RetryAfterOf(SymphainyException error) => error switch
    {
        RateLimitedException limited => limited.RetryAfter,
        { Code: "host.stopping" or "host.not_started" } => HostRetryAfter,
        _ => null,
    };

    public static ProblemBody Body(SymphainyException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var retryAfter = RetryAfterOf(error);
        return new ProblemBody($"urn:symphainy:error:{error.Code}", error.Error.Description, StatusOf(error), error.Message, error.Code, error.IsRetryable,
            retryAfter is { } after ? Math.Ceiling(after.TotalSeconds) : null);
    }

    public static IResult Result(SymphainyException error)
    {
        var body = Body(error);
        return new ProblemResult(body);
    }

    private sealed class ProblemResult(ProblemBody body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (body.RetryAfterSeconds is { } seconds)
            {
                httpContext.Response.Headers.RetryAfter = Math.Max(1, (long)seconds).ToString(CultureInfo.InvariantCulture);
            }

            httpContext.Response.StatusCode = body.Status;
            return httpContext.Response.WriteAsJsonAsync(body, Wire.Json, ContentType, httpContext.RequestAborted);
        }
    }
}

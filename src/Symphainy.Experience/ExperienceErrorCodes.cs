namespace Symphainy.Experience;

/// <summary>The error codes of the REST and WebSocket delivery.</summary>
public static class ExperienceErrorCodes
{
    /// <summary>A request body larger than <c>Symphainy:Experience:MaxRequestBytes</c>.</summary>
    public static readonly ErrorCode PayloadTooLarge = new(
        "experience.payload_too_large", ErrorKind.Domain, isRetryable: false,
        "The request body is larger than Symphainy:Experience:MaxRequestBytes allows; nothing was read past the limit and nothing was recorded. Send less, or a reference to a stored document.");

    /// <summary>A request that is not what the route takes: malformed JSON, a field of the wrong type, a missing field, a bad query or header.</summary>
    public static readonly ErrorCode InvalidRequest = new(
        "experience.invalid_request", ErrorKind.Domain, isRetryable: false,
        "The request is not what the route takes: malformed JSON, a missing field, a field of the wrong type, or a bad query parameter or header (the detail names it). Nothing was recorded.");
}

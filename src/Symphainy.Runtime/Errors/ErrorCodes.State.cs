namespace Symphainy;

public static partial class ErrorCodes
{
    /// <summary>A state key, node id or lease resource is empty, too long or has control characters.</summary>
    public static readonly ErrorCode StateInvalidKey = new(
        "state.invalid_key", ErrorKind.Domain, isRetryable: false,
        "A state key, node id or lease resource is empty, longer than 512 characters or has control characters.");

    /// <summary>A state call got an argument out of range (a non-positive TTL, a limit below 1).</summary>
    public static readonly ErrorCode StateInvalidArgument = new(
        "state.invalid_argument", ErrorKind.Domain, isRetryable: false,
        "A state call got an argument out of range, such as a TTL that is not positive or a page limit below 1. The message names it.");

    /// <summary>No session with this id exists in this tenant.</summary>
    public static readonly ErrorCode SessionNotFound = new(
        "session.not_found", ErrorKind.Domain, isRetryable: false,
        "No session with this id exists in this tenant. Create a session first, and use it within the tenant that created it.");


    /// <summary>The session was ended.</summary>
    public static readonly ErrorCode SessionEnded = new(
        "session.ended", ErrorKind.Domain, isRetryable: false,
        "The session was ended and accepts no more work. Create a new session.");
}

namespace Symphainy.PublicWorks.Redis;

/// <summary>The error codes of the Redis provider.</summary>
public static class RedisErrorCodes
{
    /// <summary>The Redis server could not be reached, or did not answer in time.</summary>
    public static readonly ErrorCode Unavailable = new(
        "redis.unavailable", ErrorKind.Platform, isRetryable: true,
        "The Redis server could not be reached or did not answer in time. Nothing was acknowledged by the call that failed; retry it (with the same idempotency key) once the server is back.");

    /// <summary>The Redis server refused a command (out of memory, a read-only replica, a script error).</summary>
    public static readonly ErrorCode CommandFailed = new(
        "redis.command_failed", ErrorKind.Platform, isRetryable: true,
        "The Redis server refused a command (for example out of memory, a read-only replica or persistence failing); the message holds the server's answer. Nothing was acknowledged by the call that failed.");

    /// <summary>The server is not set up to keep what it acknowledges through a crash.</summary>
    public static readonly ErrorCode NotDurable = new(
        "redis.not_durable", ErrorKind.Platform, isRetryable: false,
        "The Redis server does not run with appendonly yes and appendfsync always (or its settings cannot be read), so records it acknowledges could be lost in a crash. Fix the server's configuration, or set Symphainy:Redis:RequireAlwaysFsync to false to accept its durability.");
}

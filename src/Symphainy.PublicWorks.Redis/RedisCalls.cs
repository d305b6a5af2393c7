using StackExchange.Redis;

namespace Symphainy.PublicWorks.Redis;

/// <summary>Turns the client's failures into the platform's typed, retryable errors.</summary>
internal static class RedisCalls
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e, what) is { } typed)
        {
            throw typed;
        }
    }

    /// <summary>
    /// As <see cref="RunAsync{T}"/>, for the log: the engine treats <c>wal.*</c> errors as the log failing (the saga
    /// records nothing more and resumes after a restart), so a server that is away is <c>wal.io_failed</c> there, with the
    /// Redis error inside.
    /// </summary>
    public static async Task<T> RunForLogAsync<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e, what) is { } typed)
        {
            throw ForLog(typed);
        }
    }

    /// <summary>The log's form of a Redis failure: <c>wal.io_failed</c>, with the Redis error inside.</summary>
    public static SymphainyException ForLog(SymphainyException typed) =>
        new(ErrorCodes.WalIoFailed, $"The Redis log could not be written or read ({typed.Code}): {typed.Message}", typed);

    public static SymphainyException? Translate(Exception e, string what) => e switch
    {
        RedisConnectionException or RedisTimeoutException or ObjectDisposedException when e is not SymphainyException =>
            new SymphainyException(RedisErrorCodes.Unavailable, $"Redis did not answer while {what}: {e.Message}", e),
        RedisServerException server =>
            new SymphainyException(RedisErrorCodes.CommandFailed, $"Redis refused a command while {what}: {server.Message}", e),
        _ => null,
    };
}

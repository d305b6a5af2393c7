using StackExchange.Redis;

namespace Symphainy.PublicWorks.Redis;

/// <summary>
/// Every key the provider writes. A tenant's keys carry the tenant as their hash tag (<c>{…}</c>), so each tenant's
/// keys stay in one slot of a cluster and a script touching a value and its fencing counter is allowed; the log's
/// keys share the prefix as their tag. Keys are built from validated parts only, never from free text before the
/// tenant, so no key of one tenant can be spelled as another's.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public RedisKey Value(TenantId tenant, string key) => $"{prefix}:{{{tenant.Value:N}}}:v:{key}";

    public RedisKey Lease(TenantId tenant, string resource) => $"{prefix}:{{{tenant.Value:N}}}:lease:{resource}";

    public RedisKey Fence(TenantId tenant, string resource) => $"{prefix}:{{{tenant.Value:N}}}:fence:{resource}";

    public RedisKey Log => $"{{{prefix}}}:wal";

    public RedisKey LogSequence => $"{{{prefix}}}:wal:seq";

    public RedisKey LogFirst => $"{{{prefix}}}:wal:first";

    public RedisChannel LogTail => RedisChannel.Literal($"{prefix}:wal:tail");

    public RedisKey WorkMembers => $"{{{prefix}}}:work:members";

    public RedisKey WorkAny => $"{{{prefix}}}:work:any";

    public RedisChannel WorkAnyTail => RedisChannel.Literal(WorkAny.Append(":tail").ToString());

    /// <summary>What a member's work stream key starts with (the member's name follows).</summary>
    public string WorkOfPrefix => $"{{{prefix}}}:work:m:";

    public RedisKey WorkOf(string member) => WorkOfPrefix + member;

    public RedisKey Events(TenantId tenant) => $"{prefix}:{{{tenant.Value:N}}}:events";

    // The scripts name these two from the stream's key (KEYS[i] .. ':trimmed', KEYS[i] .. ':tail'): one spelling.
    public RedisKey EventsTrimmed(TenantId tenant) => Events(tenant).Append(":trimmed");

    public RedisChannel EventsTail(TenantId tenant) => RedisChannel.Literal(Events(tenant).Append(":tail").ToString());

    /// <summary>
    /// Lua: keeps a tenant's event stream near <c>kept</c> entries (trimming whole overflows of a tenth), and records
    /// beside it the position just below the first entry kept, below which a resume is refused.
    /// </summary>
    public const string TrimEventsFunction = """
        local function trim(stream, kept)
          if redis.call('XLEN', stream) > kept + math.floor(kept / 10) then
            redis.call('XTRIM', stream, 'MAXLEN', '~', kept)
            local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1][1]
            redis.call('SET', stream .. ':trimmed', tonumber(string.sub(first, 3)) - 1)
          end
        end

        """;

    /// <summary>The log position a stream id <c>0-position</c> stands for.</summary>
    public static long Position(RedisValue id)
    {
        var text = (string)id!;
        return long.Parse(text.AsSpan(text.IndexOf('-', StringComparison.Ordinal) + 1), System.Globalization.CultureInfo.InvariantCulture);
    }
}

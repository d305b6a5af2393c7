using System.Text.Json;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Sessions;

/// <summary>
/// The default <see cref="ISessionRegistry"/>: live sessions in <see cref="IHotStateStore"/> (the store's time to
/// live is the session's expiry), every start and end recorded in <see cref="IWriteAheadLog"/>.
/// </summary>
public sealed class SessionRegistry : ISessionRegistry
{
    private readonly IHotStateStore _store;
    private readonly IWriteAheadLog _wal;
    private readonly IdGenerator _ids;
    private readonly TimeProvider _time;
    private readonly SessionOptions _options;

    /// <summary>Creates the registry.</summary>
    /// <param name="store">Where live sessions are kept.</param>
    /// <param name="wal">Where starts and ends are recorded.</param>
    /// <param name="ids">Creates session ids.</param>
    /// <param name="time">The clock.</param>
    /// <param name="options">Session settings.</param>
    public SessionRegistry(IHotStateStore store, IWriteAheadLog wal, IdGenerator ids, TimeProvider time, IOptions<SymphainyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _wal = wal;
        _ids = ids;
        _time = time;
        _options = options.Value.Sessions;
    }

    /// <inheritdoc/>
    public async ValueTask<Session> CreateAsync(TenantId tenant, TimeSpan? ttl = null, IReadOnlyDictionary<string, string>? attributes = null, CancellationToken cancellationToken = default)
    {
        var life = ttl ?? _options.DefaultTtl;
        if (life <= TimeSpan.Zero || life > _options.MaxTtl)
        {
            throw new SymphainyException(
                ErrorCodes.StateInvalidArgument,
                $"A session's time to live must be positive and at most {_options.MaxTtl} (Symphainy:Sessions:MaxTtl); it was {life}.");
        }

        var now = _time.GetUtcNow();
        var session = new Session(_ids.Next<SessionId>(), tenant, now, now + life, null, new Dictionary<string, string>(attributes ?? new Dictionary<string, string>()));
        var stored = Serialize(new StoredSession(session, life));
        await _wal.AppendAsync(new WalEntry(WalRecordKind.SessionStarted, tenant, stored, session.Id), cancellationToken).ConfigureAwait(false);
        await _store.SetAsync(tenant, Key(session.Id), stored, life, cancellationToken).ConfigureAwait(false);
        return session;
    }

    /// <inheritdoc/>
    public async ValueTask<Session?> GetAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default) =>
        (await ReadAsync(tenant, id, cancellationToken).ConfigureAwait(false))?.Stored.Session;

    /// <inheritdoc/>
    public async ValueTask<Session> GetOpenAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default) =>
        RequireOpen(await ReadAsync(tenant, id, cancellationToken).ConfigureAwait(false), id).Stored.Session;

    /// <inheritdoc/>
    public async ValueTask<Session> TouchAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var (stored, version) = RequireOpen(await ReadAsync(tenant, id, cancellationToken).ConfigureAwait(false), id);
            var touched = stored with { Session = stored.Session with { ExpiresAt = _time.GetUtcNow() + stored.Ttl } };
            var result = await _store.CompareAndSetAsync(tenant, Key(id), Serialize(touched), version, stored.Ttl, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return touched.Session;
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask<bool> EndAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var found = await ReadAsync(tenant, id, cancellationToken).ConfigureAwait(false);
            if (found is not { } current || current.Stored.Session.IsEnded)
            {
                return false;
            }

            var ended = current.Stored with { Session = current.Stored.Session with { EndedAt = _time.GetUtcNow() } };
            var bytes = Serialize(ended);
            var result = await _store.CompareAndSetAsync(tenant, Key(id), bytes, current.Version, _options.EndedRetention, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                await _wal.AppendAsync(new WalEntry(WalRecordKind.SessionEnded, tenant, bytes, id), cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }

    private async ValueTask<(StoredSession Stored, long Version)?> ReadAsync(TenantId tenant, SessionId id, CancellationToken cancellationToken)
    {
        var entry = await _store.GetAsync(tenant, Key(id), cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return null;
        }

        var stored = JsonSerializer.Deserialize<StoredSession>(entry.Value.Span)!;
        return stored.Session.Tenant == tenant ? (stored, entry.Version) : null;
    }

    private static (StoredSession Stored, long Version) RequireOpen((StoredSession Stored, long Version)? found, SessionId id)
    {
        if (found is not { } current)
        {
            throw new SymphainyException(ErrorCodes.SessionNotFound, $"Session {id} does not exist in this tenant, or it expired and was forgotten.");
        }

        if (current.Stored.Session.IsEnded)
        {
            throw new SymphainyException(ErrorCodes.SessionEnded, $"Session {id} was ended at {current.Stored.Session.EndedAt:O}; start a new session.");
        }

        return current;
    }

    private static string Key(SessionId id) => "session/" + id;

    private static byte[] Serialize(StoredSession stored) => JsonSerializer.SerializeToUtf8Bytes(stored);

    private sealed record StoredSession(Session Session, TimeSpan Ttl);
}

using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Internal;
using Symphainy.Wal.Records;

namespace Symphainy.Sessions;

/// <summary>
/// The default <see cref="ISessionRegistry"/>: live sessions in <see cref="IHotStateStore"/> (the store's time to
/// live is the session's expiry), every start and end recorded in <see cref="IWriteAheadLog"/> and restored from it
/// when the host starts. Touches are recorded only when the recorded expiry is less than half a time to live away,
/// so a restart can shorten a session's remaining life to no less than half its time to live. The log keeps the
/// latest record of every open session (a retention hold).
/// </summary>
internal sealed class SessionRegistry : ISessionRegistry, IRecoveryParticipant, IWalRetentionHold
{
    private readonly ConcurrentDictionary<(TenantId, SessionId), (long Position, DateTimeOffset Expires)> _recorded = new();
    private readonly Dictionary<(TenantId, SessionId), (WalRecord Record, SessionPayload Payload)> _recovering = [];
    private readonly IHotStateStore _store;
    private readonly IWriteAheadLog _wal;
    private readonly IdGenerator _ids;
    private readonly TimeProvider _time;
    private readonly SessionOptions _options;

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
        var stored = new StoredSession(session, life);
        await RecordAsync(stored, cancellationToken).ConfigureAwait(false);
        await _store.SetAsync(tenant, Key(session.Id), Serialize(stored), life, cancellationToken).ConfigureAwait(false);
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
                if (!_recorded.TryGetValue((tenant, id), out var recorded) || recorded.Expires - _time.GetUtcNow() < stored.Ttl / 2)
                {
                    await RecordAsync(touched, cancellationToken).ConfigureAwait(false);
                }

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
                await RecordAsync(ended, cancellationToken).ConfigureAwait(false);
                _recorded.TryRemove((tenant, id), out _);
                return true;
            }
        }
    }

    /// <summary>The lowest position holding the latest record of a session that is still open.</summary>
    public long RetainFrom
    {
        get
        {
            var now = _time.GetUtcNow();
            var lowest = _wal.NextPosition;
            foreach (var (key, (position, expires)) in _recorded)
            {
                if (expires <= now)
                {
                    _recorded.TryRemove(key, out _);
                }
                else
                {
                    lowest = Math.Min(lowest, position);
                }
            }

            return lowest;
        }
    }

    /// <inheritdoc/>
    public void Observe(WalRecord record)
    {
        if (record.Kind is WalRecordKind.SessionStarted or WalRecordKind.SessionEnded && record.Session is { } id)
        {
            _recovering[(record.Tenant, id)] = (record, (SessionPayload)WalPayloadCodec.Decode(record));
        }
    }

    /// <inheritdoc/>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var ((tenant, id), (record, payload)) in _recovering)
        {
            var session = new Session(id, tenant, payload.CreatedAt, payload.ExpiresAt, payload.EndedAt, payload.Attributes);
            var left = payload.EndedAt is { } endedAt ? endedAt + _options.EndedRetention - now : payload.ExpiresAt - now;
            if (left <= TimeSpan.Zero || await _store.GetAsync(tenant, Key(id), cancellationToken).ConfigureAwait(false) is not null)
            {
                continue; // expired, or the store kept it (a shared store outlives this process)
            }

            await _store.SetAsync(tenant, Key(id), Serialize(new StoredSession(session, payload.Ttl)), left, cancellationToken).ConfigureAwait(false);
            if (payload.EndedAt is null)
            {
                _recorded[(tenant, id)] = (record.Position, payload.ExpiresAt);
            }
        }

        _recovering.Clear();
    }

    private async ValueTask RecordAsync(StoredSession stored, CancellationToken cancellationToken)
    {
        var session = stored.Session;
        var payload = new SessionPayload(session.CreatedAt, session.ExpiresAt, session.EndedAt, stored.Ttl, session.Attributes);
        var position = await _wal.AppendAsync(new WalEntry(payload.Kind, session.Tenant, WalPayloadCodec.Encode(payload), session.Id), cancellationToken).ConfigureAwait(false);
        if (session.EndedAt is null)
        {
            _recorded[(session.Tenant, session.Id)] = (position, session.ExpiresAt);
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

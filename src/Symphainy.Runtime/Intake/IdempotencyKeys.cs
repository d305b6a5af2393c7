using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Internal;
using Symphainy.Wal.Records;

namespace Symphainy.Intake;

/// <summary>
/// Intake's idempotency keys, kept in the hot state store (so several hosts on a shared store agree), claimed once
/// per tenant, remembered for <see cref="IntakeOptions.IdempotencyWindow"/>, and restored from the log's intent
/// records when the host starts.
/// </summary>
/// <remarks>
/// A key is claimed (position 0: pending) before its intent is recorded and confirmed with the record's position after.
/// A pending claim is never answered as a duplicate on its word alone: its submitter may have died, or its append may
/// have failed, before anything was recorded (the hot state outlives a process on a shared store). A submission that
/// finds one looks for the claimed intent in the log: found, it answers with the recorded intent; not found, it waits
/// while the claim may still be recorded by a submitter elsewhere, and takes the claim over once it is abandoned (its
/// append failed on this host, or it is older than <see cref="PendingClaimTimeout"/>).
/// </remarks>
internal sealed class IdempotencyKeys : IRecoveryParticipant
{
    /// <summary>How long a pending claim of another host (or an earlier process) may take to be recorded before it counts as abandoned.</summary>
    internal static readonly TimeSpan PendingClaimTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan PendingPoll = TimeSpan.FromMilliseconds(50);
    private readonly IHotStateStore _store;
    private readonly IWriteAheadLog _wal;
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly List<(WalRecord Record, string Key)> _recovered = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<SagaId, bool> _failedHere = new();
    private DateTimeOffset? _cutoff;

    public IdempotencyKeys(IHotStateStore store, IWriteAheadLog wal, TimeProvider time, IOptions<SymphainyOptions> options)
    {
        _store = store;
        _wal = wal;
        _time = time;
        _window = options.Value.Intake.IdempotencyWindow;
    }

    /// <summary>
    /// What makes two intents under one key the same intent: the hex SHA-256 of the intent type and the payload as
    /// recorded. A key that comes back with another fingerprint is another intent, refused rather than answered with
    /// the first one's execution.
    /// </summary>
    public static string Fingerprint(string type, ReadOnlySpan<byte> input)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(type));
        hash.AppendData([0]);
        hash.AppendData(input);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The error for a key that came back with another intent than the one it was first used for.</summary>
    public static SymphainyException Reused(string key, string type) =>
        new(ErrorCodes.IntakeIdempotencyKeyReused,
            $"The idempotency key '{key}' was already used in this tenant for another intent than this '{type}' (another type or payload); nothing was recorded. Resend the first intent unchanged, or use a new key.");

    /// <summary>
    /// Claims <paramref name="key"/> for this intent; when it was claimed before by the same intent (same
    /// <paramref name="fingerprint"/>), answers that one's ids; by another intent, throws <c>intake.idempotency_key_reused</c>.
    /// </summary>
    public async ValueTask<(IntentId Intent, SagaId Saga, long Position)?> ClaimAsync(TenantId tenant, string key, string type, string fingerprint, IntentId intent, SagaId saga, CancellationToken cancellationToken)
    {
        while (true)
        {
            var value = JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, 0, _wal.NextPosition, _time.GetUtcNow(), fingerprint));
            var result = await _store.CompareAndSetAsync(tenant, Key(key), value, 0, _window, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return null;
            }

            var existing = await _store.GetAsync(tenant, Key(key), cancellationToken).ConfigureAwait(false);
            if (existing is null || JsonSerializer.Deserialize<Claim>(existing.Value.Span) is not { } claim)
            {
                continue; // the claim expired between the two calls: try again
            }

            // A claim stored before fingerprints were kept has none: it is taken as the same intent.
            var another = claim.Fingerprint is { } first && first != fingerprint;
            if (claim.Position > 0)
            {
                return another ? throw Reused(key, type) : (claim.Intent, claim.Saga, claim.Position);
            }

            // Pending: recorded meanwhile (then answer with the record), or abandoned (then take it over), or still
            // being recorded by its submitter elsewhere (then wait for it).
            if (await FindAsync(tenant, claim, cancellationToken).ConfigureAwait(false) is { } position)
            {
                _failedHere.TryRemove(claim.Saga, out _);
                await ConfirmAsync(tenant, key, claim.Fingerprint, claim.Intent, claim.Saga, position, cancellationToken).ConfigureAwait(false);
                return another ? throw Reused(key, type) : (claim.Intent, claim.Saga, position);
            }

            if (_failedHere.ContainsKey(claim.Saga) || _time.GetUtcNow() - claim.At > PendingClaimTimeout)
            {
                var taken = await _store.CompareAndSetAsync(tenant, Key(key), value, existing.Version, _window, cancellationToken).ConfigureAwait(false);
                if (taken.Succeeded)
                {
                    _failedHere.TryRemove(claim.Saga, out _);
                    return null;
                }

                continue;
            }

            await Task.Delay(PendingPoll, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The append of a claimed key's intent failed: it may or may not have been recorded (a write whose acknowledgement
    /// was lost), so the claim stays pending and the next submission of the key looks in the log before taking it over.
    /// </summary>
    public void Failed(SagaId saga) => _failedHere[saga] = true;

    /// <summary>Where the log holds the intent a pending claim names, if it does.</summary>
    private async ValueTask<long?> FindAsync(TenantId tenant, Claim claim, CancellationToken cancellationToken)
    {
        var from = Math.Max(claim.From, _wal.FirstPosition);
        if (from >= _wal.NextPosition)
        {
            return null;
        }

        await foreach (var record in _wal.ReadAsync(from, cancellationToken).ConfigureAwait(false))
        {
            if (record.Kind == WalRecordKind.IntentReceived && record.Saga == claim.Saga && record.Tenant == tenant)
            {
                return record.Position;
            }
        }

        return null;
    }

    public ValueTask ConfirmAsync(TenantId tenant, string key, string? fingerprint, IntentId intent, SagaId saga, long position, CancellationToken cancellationToken) =>
        new(_store.SetAsync(tenant, Key(key), JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, position, Fingerprint: fingerprint)), _window, cancellationToken).AsTask());

    public ValueTask ReleaseAsync(TenantId tenant, string key) => new(_store.DeleteAsync(tenant, Key(key)).AsTask());

    public void Observe(WalRecord record)
    {
        if (record.Kind != WalRecordKind.IntentReceived || record.Saga is null || record.Intent is null)
        {
            return;
        }

        _cutoff ??= _time.GetUtcNow() - _window;
        if (record.Timestamp > _cutoff && WalPayloadCodec.ReadIdempotencyKey(record.Payload) is { } key)
        {
            _recovered.Add((record, key));
        }
    }

    // Up to this many restores are on their way at once: a shared store (Redis) pipelines them, so a start with many
    // keyed intents in the window costs a few round trips, not one per key.
    private const int RestoresInFlight = 256;

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var pending = new List<Task>(Math.Min(_recovered.Count, RestoresInFlight));
        foreach (var (record, key) in _recovered)
        {
            var left = _window - (now - record.Timestamp);
            if (left <= TimeSpan.Zero)
            {
                continue;
            }

            var fingerprint = WalPayloadCodec.Decode(record) is IntentReceivedPayload received ? Fingerprint(received.IntentType, received.Input.Span) : null;
            var claim = JsonSerializer.SerializeToUtf8Bytes(new Claim(record.Intent!.Value, record.Saga!.Value, record.Position, record.Position, record.Timestamp, fingerprint));
            pending.Add(_store.SetAsync(record.Tenant, Key(key), claim, left, cancellationToken).AsTask());
            if (pending.Count == RestoresInFlight)
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        _recovered.Clear();
    }

    private static string Key(string key) => "idempotency/" + key;

    /// <summary>
    /// A key's claim: its intent and saga, the position of its record (0 while pending), the log's end when it was
    /// claimed (the record can only come after it), when, and the intent's fingerprint.
    /// </summary>
    private sealed record Claim(IntentId Intent, SagaId Saga, long Position, long From = 0, DateTimeOffset At = default, string? Fingerprint = null);
}

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
internal sealed class IdempotencyKeys : IRecoveryParticipant
{
    private readonly IHotStateStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly List<(WalRecord Record, string Key)> _recovered = [];
    private DateTimeOffset? _cutoff;

    public IdempotencyKeys(IHotStateStore store, TimeProvider time, IOptions<SymphainyOptions> options)
    {
        _store = store;
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
            var value = JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, 0, fingerprint));
            var result = await _store.CompareAndSetAsync(tenant, Key(key), value, 0, _window, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return null;
            }

            var existing = await _store.GetAsync(tenant, Key(key), cancellationToken).ConfigureAwait(false);
            if (existing is not null && JsonSerializer.Deserialize<Claim>(existing.Value.Span) is { } claim)
            {
                // A claim stored before fingerprints were kept has none: it is taken as the same intent.
                if (claim.Fingerprint is { } first && first != fingerprint)
                {
                    throw Reused(key, type);
                }

                return (claim.Intent, claim.Saga, claim.Position);
            }

            // The claim expired between the two calls: try again.
        }
    }

    public ValueTask ConfirmAsync(TenantId tenant, string key, string fingerprint, IntentId intent, SagaId saga, long position, CancellationToken cancellationToken) =>
        new(_store.SetAsync(tenant, Key(key), JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, position, fingerprint)), _window, cancellationToken).AsTask());

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
            var claim = JsonSerializer.SerializeToUtf8Bytes(new Claim(record.Intent!.Value, record.Saga!.Value, record.Position, fingerprint));
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

    private sealed record Claim(IntentId Intent, SagaId Saga, long Position, string? Fingerprint = null);
}

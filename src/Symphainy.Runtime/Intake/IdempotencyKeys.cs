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
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(TenantId, string), (IntentId Intent, SagaId Saga, long Position)> _recorded = new();
    private DateTimeOffset? _cutoff;

    public IdempotencyKeys(IHotStateStore store, TimeProvider time, IOptions<SymphainyOptions> options)
    {
        _store = store;
        _time = time;
        _window = options.Value.Intake.IdempotencyWindow;
    }

    /// <summary>
    /// How long a claim may stay unconfirmed (its intent not yet durable) before another submission of the key takes it
    /// over: a claim whose submission failed without giving it back (the store's answer was lost, the release failed,
    /// the process died) would otherwise answer every later submission of its key with an intent that was never recorded.
    /// </summary>
    internal static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(30);

    public async ValueTask<(IntentId Intent, SagaId Saga, long Position)?> ClaimAsync(TenantId tenant, string key, IntentId intent, SagaId saga, CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromMilliseconds(50);
        long expected = 0;
        while (true)
        {
            if (!_recorded.IsEmpty && _recorded.TryGetValue((tenant, key), out var recorded))
            {
                return recorded;
            }

            var value = JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, 0, _time.GetUtcNow()));
            var result = await _store.CompareAndSetAsync(tenant, Key(key), value, expected, _window, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return null;
            }

            expected = 0;
            var existing = await _store.GetAsync(tenant, Key(key), cancellationToken).ConfigureAwait(false);
            if (existing is null || JsonSerializer.Deserialize<Claim>(existing.Value.Span) is not { } claim)
            {
                continue; // the claim expired between the two calls: try again
            }

            if (claim.Position > 0)
            {
                return (claim.Intent, claim.Saga, claim.Position); // a recorded intent: this submission is its duplicate
            }

            // Claimed, not (yet) recorded: never answered before its intent is durable. A claim left unconfirmed past
            // the timeout was given up on; it is taken over (by version, so only one submission takes it).
            if (claim.ClaimedAt is not { } claimed || _time.GetUtcNow() - claimed >= ClaimTimeout)
            {
                expected = existing.Version;
                continue;
            }

            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    public async ValueTask ConfirmAsync(TenantId tenant, string key, IntentId intent, SagaId saga, long position, CancellationToken cancellationToken)
    {
        try
        {
            await _store.SetAsync(tenant, Key(key), JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, position)), _window, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The intent is recorded but its claim still says it is not: this host answers for the key itself until the
            // next start restores the key from the log, so nobody takes the claim over and records the key twice.
            _recorded[(tenant, key)] = (intent, saga, position);
            throw;
        }
    }

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

            var claim = JsonSerializer.SerializeToUtf8Bytes(new Claim(record.Intent!.Value, record.Saga!.Value, record.Position));
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

    private sealed record Claim(IntentId Intent, SagaId Saga, long Position, DateTimeOffset? ClaimedAt = null);
}

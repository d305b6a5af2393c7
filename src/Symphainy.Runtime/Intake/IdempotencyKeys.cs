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

    public async ValueTask<(IntentId Intent, SagaId Saga, long Position)?> ClaimAsync(TenantId tenant, string key, IntentId intent, SagaId saga, CancellationToken cancellationToken)
    {
        while (true)
        {
            var value = JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, 0));
            var result = await _store.CompareAndSetAsync(tenant, Key(key), value, 0, _window, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return null;
            }

            var existing = await _store.GetAsync(tenant, Key(key), cancellationToken).ConfigureAwait(false);
            if (existing is not null && JsonSerializer.Deserialize<Claim>(existing.Value.Span) is { } claim)
            {
                return (claim.Intent, claim.Saga, claim.Position);
            }

            // The claim expired between the two calls: try again.
        }
    }

    public ValueTask ConfirmAsync(TenantId tenant, string key, IntentId intent, SagaId saga, long position, CancellationToken cancellationToken) =>
        new(_store.SetAsync(tenant, Key(key), JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, position)), _window, cancellationToken).AsTask());

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

    private sealed record Claim(IntentId Intent, SagaId Saga, long Position);
}

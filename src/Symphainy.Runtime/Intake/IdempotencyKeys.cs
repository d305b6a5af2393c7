using System.Text.Json;
using Symphainy.Sagas.Internal;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Intake;

/// <summary>
/// Idempotency keys in the hot state store (so several hosts on a shared store agree), claimed once per tenant,
/// remembered for <see cref="IntakeOptions.IdempotencyWindow"/>, and restored from the log on recovery.
/// </summary>
internal sealed class IdempotencyKeys(IHotStateStore store, TimeProvider time, TimeSpan window)
{
    public async ValueTask<(IntentId Intent, SagaId Saga, long Position)?> ClaimAsync(TenantId tenant, string key, IntentId intent, SagaId saga, CancellationToken cancellationToken)
    {
        var value = JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, 0));
        var result = await store.CompareAndSetAsync(tenant, Key(key), value, 0, window, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return null;
        }

        var existing = await store.GetAsync(tenant, Key(key), cancellationToken).ConfigureAwait(false);
        var claim = existing is null ? null : JsonSerializer.Deserialize<Claim>(existing.Value.Span);
        return claim is null ? await ClaimAsync(tenant, key, intent, saga, cancellationToken).ConfigureAwait(false) : (claim.Intent, claim.Saga, claim.Position);
    }

    public ValueTask ConfirmAsync(TenantId tenant, string key, IntentId intent, SagaId saga, long position, CancellationToken cancellationToken) =>
        new(store.SetAsync(tenant, Key(key), JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, position)), window, cancellationToken).AsTask());

    public ValueTask ReleaseAsync(TenantId tenant, string key) => new(store.DeleteAsync(tenant, Key(key)).AsTask());

    public async ValueTask RestoreAsync(WalRecord record, CancellationToken cancellationToken)
    {
        var age = time.GetUtcNow() - record.Timestamp;
        if (age >= window || record.Saga is not { } saga || record.Intent is not { } intent || record.Payload.Span.IndexOf("\"k\":"u8) < 0)
        {
            return; // most intents carry no key: skip decoding them
        }

        var payload = SagaRecords.Parse(record.Payload);
        if (payload.TryGetProperty("k", out var key) && key.GetString() is { } text)
        {
            await store.SetAsync(record.Tenant, Key(text), JsonSerializer.SerializeToUtf8Bytes(new Claim(intent, saga, record.Position)), window - age, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Key(string key) => "idempotency/" + key;

    private sealed record Claim(IntentId Intent, SagaId Saga, long Position);
}

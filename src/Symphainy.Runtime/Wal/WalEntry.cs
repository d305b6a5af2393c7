namespace Symphainy.Wal;

/// <summary>
/// A record to append to the write-ahead log. The log assigns its position and timestamp.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Tenant">The tenant it happened in.</param>
/// <param name="Payload">The record's data, usually UTF-8 JSON; at most <c>Symphainy:Wal:MaxRecordBytes</c>.</param>
/// <param name="Session">The session, if any.</param>
/// <param name="Saga">The saga, if any.</param>
/// <param name="Intent">The intent, if any.</param>
public readonly record struct WalEntry(
    WalRecordKind Kind,
    TenantId Tenant,
    ReadOnlyMemory<byte> Payload,
    SessionId? Session = null,
    SagaId? Saga = null,
    IntentId? Intent = null)
{
    /// <summary>
    /// Set by the Runtime when the payload is a fresh array nobody writes again, so that a log keeping records in
    /// memory may keep it instead of copying it.
    /// </summary>
    internal bool PayloadHandedOver { get; init; }

    /// <summary>
    /// Checks the entry as every log must before it appends it: a known kind, a real tenant, real ids, and a payload of
    /// at most <paramref name="maxRecordBytes"/>. For the authors of <see cref="IWriteAheadLog"/> adapters.
    /// </summary>
    /// <param name="maxRecordBytes">The largest payload the log accepts (<see cref="WalOptions.MaxRecordBytes"/>).</param>
    /// <exception cref="ArgumentException">The kind is unknown, the tenant is missing or an id is <c>default</c>.</exception>
    /// <exception cref="SymphainyException"><c>wal.record_too_large</c> when the payload is larger than allowed.</exception>
    public void Validate(int maxRecordBytes) => Internal.WalEntryValidation.Validate(this, maxRecordBytes);
}

namespace Symphainy.Wal;

/// <summary>A durable record read back from the write-ahead log.</summary>
/// <param name="Position">Its position: 1 for the first record ever appended, then increasing by one.</param>
/// <param name="Timestamp">When the log accepted it, from the log's <see cref="TimeProvider"/>.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Tenant">The tenant it happened in.</param>
/// <param name="Payload">The record's data.</param>
/// <param name="Session">The session, if any.</param>
/// <param name="Saga">The saga, if any.</param>
/// <param name="Intent">The intent, if any.</param>
public sealed record WalRecord(
    long Position,
    DateTimeOffset Timestamp,
    WalRecordKind Kind,
    TenantId Tenant,
    ReadOnlyMemory<byte> Payload,
    SessionId? Session = null,
    SagaId? Saga = null,
    IntentId? Intent = null);

namespace Symphainy.Wal.Internal;

/// <summary>Checks an entry before any log accepts it, so that every stored record can be read back.</summary>
internal static class WalEntryValidation
{
    public static void Validate(in WalEntry entry, int maxRecordBytes)
    {
        if (entry.Kind is < WalRecordKind.IntentReceived or > WalRecordKind.SagaCompensating)
        {
            throw new ArgumentException($"{entry.Kind} is not a write-ahead log record kind.", nameof(entry));
        }

        if (entry.Tenant.Value == Guid.Empty)
        {
            throw new ArgumentException("A write-ahead log record needs a tenant; default(TenantId) is not one.", nameof(entry));
        }

        if (entry.Session is { Value.Version: not 7 } || entry.Saga is { Value.Version: not 7 } || entry.Intent is { Value.Version: not 7 })
        {
            throw new ArgumentException("A session, saga or intent id on a write-ahead log record must be a real id, not default.", nameof(entry));
        }

        if (entry.Payload.Length > maxRecordBytes)
        {
            throw new SymphainyException(
                ErrorCodes.WalRecordTooLarge,
                $"A {entry.Kind} record of {entry.Payload.Length} bytes is larger than the {maxRecordBytes} bytes Symphainy:Wal:MaxRecordBytes allows.");
        }
    }
}

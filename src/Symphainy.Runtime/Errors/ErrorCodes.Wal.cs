namespace Symphainy;

public static partial class ErrorCodes
{
    /// <summary>A record in the middle of the write-ahead log fails its checksum or cannot be decoded.</summary>
    public static readonly ErrorCode WalCorruptRecord = new(
        "wal.corrupt_record", ErrorKind.Platform, isRetryable: false,
        "A record before the end of the write-ahead log is damaged. The host will not start on a damaged log: restore the segment named in the message from a backup or archive.");

    /// <summary>A payload is larger than <c>Symphainy:Wal:MaxRecordBytes</c>.</summary>
    public static readonly ErrorCode WalRecordTooLarge = new(
        "wal.record_too_large", ErrorKind.Domain, isRetryable: false,
        "A record's payload is larger than Symphainy:Wal:MaxRecordBytes allows. Send less data or raise the limit.");

    /// <summary>A read asked for records that retention already removed.</summary>
    public static readonly ErrorCode WalPositionTruncated = new(
        "wal.position_truncated", ErrorKind.Platform, isRetryable: false,
        "The requested write-ahead log position is below the first retained record; those records were removed by a checkpoint. Read from FirstPosition.");

    /// <summary>The log is shut down or failed and accepts no more appends.</summary>
    public static readonly ErrorCode WalClosed = new(
        "wal.closed", ErrorKind.Platform, isRetryable: true,
        "The write-ahead log is shut down or stopped after a storage failure; nothing more is accepted. Retry against a running host; the cause is in the inner exception and the log.");

    /// <summary>The log's files could not be written, synced or read.</summary>
    public static readonly ErrorCode WalIoFailed = new(
        "wal.io_failed", ErrorKind.Platform, isRetryable: true,
        "The write-ahead log could not write, sync or read its files (disk full, permissions, I/O error). Appends that failed with this code were not acknowledged.");

    /// <summary>A fenced append whose lease is no longer the writer's: nothing was written.</summary>
    public static readonly ErrorCode WalFenced = new(
        "wal.fenced", ErrorKind.Platform, isRetryable: false,
        "The record was not written: the lease it was fenced with expired or another writer took it over (it has a higher token). The writer must stop; the current lease holder carries on.");
}

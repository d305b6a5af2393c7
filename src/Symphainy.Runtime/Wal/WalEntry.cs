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
    /// A lease the writer must still hold for the record to be written: the log checks, in the same atomic step as the
    /// append, that this lease (same tenant) is the current one and has not expired, and otherwise writes nothing and
    /// fails with <c>wal.fenced</c>. A worker paused past its lease can then never record after another took over.
    /// Only a log shared between hosts checks fences (the Redis one); the others refuse a fenced entry.
    /// </summary>
    public Symphainy.State.Lease? Fence { get; init; }

    /// <summary>
    /// Whether the log gives <see cref="Fence"/> back once the record is written, in the same atomic step (a saga's
    /// last record: no other host need wait for the lease to expire, and no round trip of its own is spent on it).
    /// </summary>
    public bool ReleasesFence { get; init; }

    /// <summary>
    /// The work item (<see cref="ISagaWorkDistribution"/>) this record ends: the log removes it from the shared log's
    /// work distribution in the same atomic step as the append (a saga's end record).
    /// </summary>
    public SagaWork? CompletesWork { get; init; }

    /// <summary>
    /// Checks the entry as every log must before it appends it: a known kind, a real tenant, real ids, a payload of
    /// at most <paramref name="maxRecordBytes"/>, and a fence only where the log checks fences (of the entry's tenant).
    /// For the authors of <see cref="IWriteAheadLog"/> adapters.
    /// </summary>
    /// <param name="maxRecordBytes">The largest payload the log accepts (<see cref="WalOptions.MaxRecordBytes"/>).</param>
    /// <param name="checksFences">Whether the log checks <see cref="Fence"/> atomically with the append.</param>
    /// <exception cref="ArgumentException">The kind is unknown, the tenant is missing, an id is <c>default</c>, the fence is another tenant's, or the work completed is another saga's.</exception>
    /// <exception cref="NotSupportedException">The entry has a fence, releases one or completes work, and the log does not check fences.</exception>
    /// <exception cref="SymphainyException"><c>wal.record_too_large</c> when the payload is larger than allowed.</exception>
    public void Validate(int maxRecordBytes, bool checksFences)
    {
        Internal.WalEntryValidation.Validate(this, maxRecordBytes);
        if ((ReleasesFence && Fence is null) || (CompletesWork is { } work && (work.Tenant != Tenant || work.Saga != Saga)))
        {
            throw new ArgumentException("A record releases its own fence only, and completes only its own saga's work.");
        }

        if (!checksFences && (ReleasesFence || CompletesWork is not null))
        {
            throw new NotSupportedException("This write-ahead log is local to one host: it has no leases to release and no work to complete.");
        }

        if (Fence is { } fence)
        {
            if (!checksFences)
            {
                throw new NotSupportedException("This write-ahead log is local to one host and does not check fences; a fenced append needs a log shared between hosts (such as the Redis one).");
            }

            if (fence.Tenant != Tenant)
            {
                throw new ArgumentException("A record's fence must be a lease of the record's own tenant.");
            }
        }
    }
}

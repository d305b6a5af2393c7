namespace Symphainy.Wal;

/// <summary>
/// Hands the sagas accepted on a shared log (<see cref="ISharedWriteAheadLog"/>) to the hosts that run them, and the
/// sagas of a host that died (or left) to the hosts still running. Every intent record the log writes is queued in
/// the same write: for the host that recorded it when that host runs sagas (it starts them itself), otherwise for any
/// host that does. A queued saga stays queued until <see cref="CompleteAsync"/> says it ended.
/// </summary>
/// <remarks>
/// A host's membership lasts <c>membership</c> unless renewed (<see cref="RenewAndTakeOverAsync"/>); once it lapses,
/// the other members take over the sagas queued for it and those it had taken. Each queued saga is handed to one
/// member at a time. A member that takes a saga over must rebuild it from the log under the saga's lease: it may
/// have run, and even ended, elsewhere.
/// </remarks>
public interface ISagaWorkDistribution
{
    /// <summary>
    /// Joins the queue as <paramref name="member"/>. From then on the intents this host records are queued for it
    /// when <paramref name="runsSagas"/> is true, or for any member when it is false (a host that only accepts).
    /// </summary>
    /// <param name="member">This host's name, unique per process (<see cref="Symphainy.State.Lease.Owner"/> of its leases).</param>
    /// <param name="runsSagas">Whether this host runs sagas.</param>
    /// <param name="membership">How long the membership lasts without renewal.</param>
    /// <param name="cancellationToken">Stops waiting for the queue.</param>
    ValueTask JoinAsync(string member, bool runsSagas, TimeSpan membership, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes up to <paramref name="max"/> sagas that hosts which run none accepted (<see cref="SagaWorkOrigin.Dispatched"/>),
    /// waiting up to <paramref name="wait"/> for one. Each is handed out once; nobody has run it yet.
    /// </summary>
    /// <param name="max">The most sagas returned.</param>
    /// <param name="wait">How long to wait when none is queued.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The sagas taken (empty when none came in time).</returns>
    ValueTask<IReadOnlyList<SagaWork>> TakeAsync(int max, TimeSpan wait, CancellationToken cancellationToken = default);

    /// <summary>
    /// Renews this host's membership and takes up to <paramref name="max"/> sagas of members whose membership lapsed
    /// (<see cref="SagaWorkOrigin.TakenOver"/>).
    /// </summary>
    /// <param name="max">The most sagas returned.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns>The sagas taken over.</returns>
    ValueTask<IReadOnlyList<SagaWork>> RenewAndTakeOverAsync(int max, CancellationToken cancellationToken = default);

    /// <summary>Removes a saga whose end is recorded from the queue, so no member is handed it again.</summary>
    /// <param name="work">The saga, as taken, or as this host queued it (<see cref="SagaWork.Own"/>).</param>
    /// <param name="cancellationToken">Stops the call.</param>
    ValueTask CompleteAsync(SagaWork work, CancellationToken cancellationToken = default);

    /// <summary>Ends this host's membership now (a graceful stop): the others take its unfinished sagas over at once.</summary>
    /// <param name="cancellationToken">Stops the call.</param>
    ValueTask LeaveAsync(CancellationToken cancellationToken = default);
}

/// <summary>How a saga came to a host through the <see cref="ISagaWorkDistribution"/>.</summary>
public enum SagaWorkOrigin
{
    /// <summary>This host accepted it and runs it.</summary>
    Own,

    /// <summary>A host that runs no sagas accepted it; this host is the first to be handed it.</summary>
    Dispatched,

    /// <summary>It was queued for (or taken by) a host whose membership lapsed; it may have run, or ended, there.</summary>
    TakenOver,
}

/// <summary>A saga handed out by an <see cref="ISagaWorkDistribution"/>.</summary>
/// <param name="Tenant">The saga's tenant.</param>
/// <param name="Saga">The saga.</param>
/// <param name="Position">The position of its intent record.</param>
/// <param name="Origin">How it came to this host.</param>
/// <param name="Receipt">The queue's own reference to the entry (null for <see cref="SagaWorkOrigin.Own"/>).</param>
public sealed record SagaWork(TenantId Tenant, SagaId Saga, long Position, SagaWorkOrigin Origin, string? Receipt)
{
    /// <summary>The saga's intent record, when the distribution read it with the work (null: the log is read for it).</summary>
    public WalRecord? Intent { get; init; }

    /// <summary>The work of a saga this host accepted and runs itself.</summary>
    /// <param name="tenant">The saga's tenant.</param>
    /// <param name="saga">The saga.</param>
    /// <param name="position">The position of its intent record.</param>
    /// <returns>The work item.</returns>
    public static SagaWork Own(TenantId tenant, SagaId saga, long position) => new(tenant, saga, position, SagaWorkOrigin.Own, null);
}

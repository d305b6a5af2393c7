namespace Symphainy.Sagas;

/// <summary>
/// Decides when a saga that is ready to run on this host may start: the scheduling seam that Smart City fills with
/// its policies (per-session ordering and concurrency, fair share and priorities across tenants). At most one is
/// registered; with none, every saga starts at once and nothing is counted.
/// </summary>
/// <remarks>
/// Admission is per host and holds nothing durable: a saga held back is already recorded (its intent is in the log),
/// it shows as <see cref="SagaState.Pending"/>, and if the host stops it resumes on the next start, where it is
/// offered for admission again (recovery offers unfinished sagas in the order of their intents in the log). A saga
/// keeps its admission while it waits for a timer or a signal, and gives it back when it ends, is suspended by a stop,
/// or leaves this host. Implementations are called concurrently and must be thread-safe and quick: they run on the
/// path that starts sagas.
/// </remarks>
public interface ISagaAdmission
{
    /// <summary>
    /// Whether this admission may ever hold a saga back on this host (read once, when the engine is built). False when
    /// it has nothing to enforce: the engine then starts every saga at once and never calls it, so sagas carry no ticket.
    /// </summary>
    bool MayHold { get; }

    /// <summary>Offers a saga that is ready to run: true starts it now; false holds it until <see cref="Release"/> admits it.</summary>
    /// <param name="saga">The saga.</param>
    /// <returns>Whether it may start now.</returns>
    bool TryAdmit(SagaTicket saga);

    /// <summary>
    /// An admitted saga stopped running on this host (it ended, or was suspended or handed away): returns the sagas held
    /// earlier that may start now, in the order they should start (empty when none).
    /// </summary>
    /// <param name="saga">The saga that was admitted before.</param>
    /// <returns>Held sagas admitted now.</returns>
    IReadOnlyList<SagaTicket> Release(SagaTicket saga);

    /// <summary>
    /// A held saga must start now whatever the limits: it was cancelled, and it ends at once without running a step.
    /// Removes it from the queue and counts it as admitted (its <see cref="Release"/> follows when it ended).
    /// </summary>
    /// <param name="saga">The saga.</param>
    /// <returns>True when it was held; false when it is not (it was admitted meanwhile, or the host stops).</returns>
    bool TryWithdraw(SagaTicket saga);

    /// <summary>
    /// The host stops: forgets every held saga (they are recorded and resume on the next start) and every admission,
    /// so nothing is started any more.
    /// </summary>
    void Clear();
}

/// <summary>A saga offered for admission: who it runs for and what it runs.</summary>
public sealed class SagaTicket
{
    internal SagaTicket(TenantId tenant, SagaId saga, SessionId? session, string intentType, long position, IReadOnlyDictionary<string, string>? metadata, object run)
    {
        Tenant = tenant;
        Saga = saga;
        Session = session;
        IntentType = intentType;
        Position = position;
        Metadata = metadata ?? Empty;
        Run = run;
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    /// <summary>The saga's tenant.</summary>
    public TenantId Tenant { get; }

    /// <summary>The saga.</summary>
    public SagaId Saga { get; }

    /// <summary>The session its intent was submitted in, if any.</summary>
    public SessionId? Session { get; }

    /// <summary>The type of the intent that started it (the capability).</summary>
    public string IntentType { get; }

    /// <summary>The log position of its intent record: the order in which sagas were accepted.</summary>
    public long Position { get; }

    /// <summary>What was recorded with its intent (the caller's metadata and intake policies' annotations).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    internal object Run { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Saga} ({IntentType}, tenant {Tenant}{(Session is { } s ? $", session {s}" : "")}, at {Position})";
}

using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Sagas;

namespace Symphainy.SmartCity;

/// <summary>
/// When sagas start on this host: the Conductor's schedule (a cap on running sagas, shared fairly between tenants,
/// with priorities per capability) and the Traffic Cop's session rules (at most <see cref="TrafficCopOptions.SessionConcurrency"/>
/// sagas of one session at a time, started in the order their intents were accepted). It is the Runtime's
/// <see cref="ISagaAdmission"/>; with none of those limits configured every saga starts at once and nothing is locked.
/// </summary>
/// <remarks>
/// A saga held back is recorded and visible as pending; cancelling it starts it at once (it ends cancelled without
/// running a step); a stop forgets the queue (the sagas resume on the next start,
/// offered again in the order of their intents). A saga waiting for a timer or a signal keeps its place, so
/// <see cref="ConductorOptions.MaxRunningSagas"/> counts sagas that have started and not ended, not busy workers.
/// Whom to admit next when a place frees: the highest priority first (<see cref="ConductorOptions.Priorities"/>);
/// between tenants with sagas of that priority waiting, the one with the fewest sagas running here, and of those the
/// one served longest ago (fair share: a tenant that submits a burst cannot take every place, and tenants waiting
/// take turns); within a tenant, the oldest first; within a session, strictly in acceptance order.
/// </remarks>
public sealed partial class SagaSchedule : ISagaAdmission, IDisposable
{
    private readonly Lock _gate = new();
    private readonly int? _maxRunning;
    private readonly int? _maxPerTenant;
    private readonly int? _perSession;
    private readonly IReadOnlyDictionary<string, int> _priorities;
    private readonly Dictionary<TenantId, int> _runningPerTenant = [];
    private readonly Dictionary<(TenantId, SessionId), int> _runningPerSession = [];
    private readonly Dictionary<TenantId, List<SagaTicket>> _waiting = [];
    private readonly Dictionary<TenantId, long> _lastAdmitted = []; // when each tenant with sagas here last got a place
    private readonly ILogger _logger;
    private readonly Meter? _ownMeter;
    private int _running;
    private int _queued;
    private long _admissions;

    /// <summary>Creates the schedule from the Conductor's and the Traffic Cop's settings.</summary>
    /// <param name="conductor">Caps and priorities.</param>
    /// <param name="traffic">Session concurrency.</param>
    /// <param name="logger">Where holds are logged.</param>
    /// <param name="meters">
    /// Where the gauges <c>symphainy.sagas.queued</c> (the queue depth) and <c>symphainy.sagas.admitted</c> are created
    /// (meter <c>Symphainy.SmartCity</c>, one per host); without a factory the schedule owns its meter.
    /// </param>
    public SagaSchedule(IOptions<ConductorOptions> conductor, IOptions<TrafficCopOptions> traffic, ILogger<SagaSchedule> logger, IMeterFactory? meters = null)
    {
        var meter = meters?.Create("Symphainy.SmartCity") ?? (_ownMeter = new Meter("Symphainy.SmartCity"));
        meter.CreateObservableGauge("symphainy.sagas.queued", () => Queued, "{saga}", "Sagas recorded and waiting for a place to start (Conductor caps, Traffic Cop session concurrency)");
        meter.CreateObservableGauge("symphainy.sagas.admitted", () => Running, "{saga}", "Sagas started and not ended on this host, counted when limits are configured");
        ArgumentNullException.ThrowIfNull(conductor);
        ArgumentNullException.ThrowIfNull(traffic);
        _maxRunning = Positive(conductor.Value.MaxRunningSagas, "Symphainy:SmartCity:Conductor:MaxRunningSagas");
        _maxPerTenant = Positive(conductor.Value.MaxRunningSagasPerTenant, "Symphainy:SmartCity:Conductor:MaxRunningSagasPerTenant");
        _perSession = Positive(traffic.Value.SessionConcurrency, "Symphainy:SmartCity:Traffic:SessionConcurrency");
        _priorities = new Dictionary<string, int>(conductor.Value.Priorities, StringComparer.Ordinal);
        _logger = logger;
    }

    /// <summary>Whether any limit is configured; without one the engine starts every saga at once and never asks.</summary>
    public bool MayHold => _maxRunning is not null || _maxPerTenant is not null || _perSession is not null;

    /// <summary>Sagas started here and not ended (waiting for timers and signals included).</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Sagas held back, waiting for a place: the queue depth.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Sagas held back for one tenant.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <returns>How many of its sagas wait for a place.</returns>
    public int QueuedFor(TenantId tenant)
    {
        lock (_gate)
        {
            return _waiting.TryGetValue(tenant, out var list) ? list.Count : 0;
        }
    }

    /// <inheritdoc/>
    public bool TryAdmit(SagaTicket saga)
    {
        ArgumentNullException.ThrowIfNull(saga);
        lock (_gate)
        {
            // Every place that freed was handed to a waiting saga that could take it, so whatever still waits is
            // blocked by a full cap or by its session: a newcomer passes only if it has room under every cap and no
            // earlier saga of its session waits.
            if (CanRun(saga) && !SessionWaits(saga))
            {
                Take(saga);
                return true;
            }

            Enqueue(saga);
        }

        LogHeld(_logger, saga.Saga, saga.IntentType, saga.Tenant, Queued);
        return false;
    }

    /// <inheritdoc/>
    public IReadOnlyList<SagaTicket> Release(SagaTicket saga)
    {
        ArgumentNullException.ThrowIfNull(saga);
        List<SagaTicket>? admitted = null;
        lock (_gate)
        {
            Give(saga);
            while (Next() is { } next)
            {
                Take(next);
                (admitted ??= []).Add(next);
            }
        }

        return admitted ?? (IReadOnlyList<SagaTicket>)[];
    }

    /// <inheritdoc/>
    public bool TryWithdraw(SagaTicket saga)
    {
        ArgumentNullException.ThrowIfNull(saga);
        lock (_gate)
        {
            var at = _waiting.TryGetValue(saga.Tenant, out var list) ? list.IndexOf(saga) : -1;
            if (at < 0)
            {
                return false; // admitted already (it is running), or forgotten by a stop
            }

            Dequeue(list!, at);
            Take(saga);
            return true;
        }
    }

    /// <inheritdoc/>
    public void Clear()
    {
        lock (_gate)
        {
            _waiting.Clear();
            _lastAdmitted.Clear();
            _runningPerTenant.Clear();
            _runningPerSession.Clear();
            Volatile.Write(ref _queued, 0);
            Volatile.Write(ref _running, 0);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _ownMeter?.Dispose();

    private bool CanRun(SagaTicket saga) =>
        (_maxRunning is not { } max || _running < max)
        && (_maxPerTenant is not { } perTenant || _runningPerTenant.GetValueOrDefault(saga.Tenant) < perTenant)
        && (_perSession is not { } perSession || saga.Session is not { } session || _runningPerSession.GetValueOrDefault((saga.Tenant, session)) < perSession);

    private bool SessionWaits(SagaTicket saga) =>
        saga.Session is { } session && _waiting.TryGetValue(saga.Tenant, out var list) && list.Exists(w => w.Session == session);

    private int Priority(SagaTicket saga) => _priorities.GetValueOrDefault(saga.IntentType);

    private void Enqueue(SagaTicket saga)
    {
        if (!_waiting.TryGetValue(saga.Tenant, out var list))
        {
            _waiting[saga.Tenant] = list = [];
        }

        // Kept in the order they are offered in (acceptance order); priorities are applied when a place frees.
        var at = list.Count;
        while (at > 0 && list[at - 1].Position > saga.Position)
        {
            at--;
        }

        list.Insert(at, saga);
        _queued++;
    }

    // The next saga to start, or null when none can: the highest priority among those that could run, then the tenant
    // with the fewest sagas running, then the one served longest ago, then that tenant's oldest; a saga of a session
    // runs only after its session's earlier ones.
    private SagaTicket? Next()
    {
        if (_queued == 0 || (_maxRunning is { } max && _running >= max))
        {
            return null;
        }

        SagaTicket? best = null;
        var bestIndex = -1;
        foreach (var (tenant, list) in _waiting)
        {
            HashSet<SessionId>? blocked = null;
            for (var i = 0; i < list.Count; i++)
            {
                var candidate = list[i];
                if (candidate.Session is { } session)
                {
                    if (blocked?.Contains(session) == true)
                    {
                        continue;
                    }

                    (blocked ??= []).Add(session); // later sagas of this session wait behind this one
                }

                if (CanRun(candidate) && (best is null || Before(candidate, best)))
                {
                    (best, bestIndex) = (candidate, i);
                }
            }
        }

        if (best is null)
        {
            return null;
        }

        Dequeue(_waiting[best.Tenant], bestIndex);
        return best;
    }

    // Takes a waiting saga out of its tenant's queue (and the tenant out of the waiting ones when it was its last).
    private void Dequeue(List<SagaTicket> waiting, int at)
    {
        var tenant = waiting[at].Tenant;
        waiting.RemoveAt(at);
        _queued--;
        if (waiting.Count == 0)
        {
            _waiting.Remove(tenant);
        }
    }

    // Whether a waiting saga goes before another: priority, then the fairer tenant, then acceptance order.
    private bool Before(SagaTicket candidate, SagaTicket best)
    {
        var (a, b) = (Priority(candidate), Priority(best));
        if (a != b)
        {
            return a > b;
        }

        if (candidate.Tenant != best.Tenant)
        {
            var (runningA, runningB) = (_runningPerTenant.GetValueOrDefault(candidate.Tenant), _runningPerTenant.GetValueOrDefault(best.Tenant));
            if (runningA != runningB)
            {
                return runningA < runningB;
            }

            return _lastAdmitted.GetValueOrDefault(candidate.Tenant, -1) < _lastAdmitted.GetValueOrDefault(best.Tenant, -1);
        }

        return candidate.Position < best.Position;
    }

    private void Take(SagaTicket saga)
    {
        _running++;
        _lastAdmitted[saga.Tenant] = ++_admissions;
        Count(_runningPerTenant, saga.Tenant, +1);
        if (saga.Session is { } session)
        {
            Count(_runningPerSession, (saga.Tenant, session), +1);
        }
    }

    private void Give(SagaTicket saga)
    {
        if (_running == 0)
        {
            return; // admitted before a Clear (the host stops): nothing is counted any more
        }

        _running--;
        if (Count(_runningPerTenant, saga.Tenant, -1) == 0 && !_waiting.ContainsKey(saga.Tenant))
        {
            _lastAdmitted.Remove(saga.Tenant); // nothing of it here any more
        }

        if (saga.Session is { } session)
        {
            Count(_runningPerSession, (saga.Tenant, session), -1);
        }
    }

    // Adds to a count kept per key; a count that reaches zero leaves the dictionary. Returns the new count.
    private static int Count<TKey>(Dictionary<TKey, int> counts, TKey key, int by)
        where TKey : notnull
    {
        var count = counts.GetValueOrDefault(key) + by;
        if (count > 0)
        {
            counts[key] = count;
        }
        else
        {
            counts.Remove(key);
        }

        return count;
    }

    private static int? Positive(int? value, string setting) => value is { } v && v < 1
        ? throw new SymphainyException(ErrorCodes.HostMisconfigured, $"{setting} must be at least 1 (or unset for no limit); it is {v}.")
        : value;

    [LoggerMessage(740, LogLevel.Debug, "Saga {Saga} ('{Capability}', tenant {Tenant}) waits for a place; {Queued} sagas wait on this host")]
    private static partial void LogHeld(ILogger logger, SagaId saga, string capability, TenantId tenant, int queued);
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Symphainy.Logging;
using Symphainy.Wal;
using Symphainy.Wal.Internal;
using Symphainy.Wal.Records;

namespace Symphainy.Sagas.Internal;

/// <summary>
/// Runs sagas on the bounded worker pool: records every transition in the log before it takes effect, compensates
/// and ends them. A stop is not a cancellation: once the host is going away nothing more is recorded as failed, and
/// whatever is unfinished resumes on the next start.
/// </summary>
internal sealed partial class SagaExecutor : ISagaHost, IAsyncDisposable
{
    private static readonly TimeSpan DrainOnDispose = TimeSpan.FromSeconds(30);
    private readonly IWriteAheadLog _wal;
    private readonly SagaStore _store;
    private readonly LogRetention _retention;
    private readonly ISagaRecoveryObserver[] _observers;
    private readonly ILogger _logger;
    private readonly TaskScheduler _scheduler;
    private readonly SagaOwnership? _ownership;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(TenantId, SagaId), SagaRun> _deferred = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(TenantId, SagaId), Watched> _watched = new();
    private readonly ISagaWorkDistribution? _work;
    private readonly IStepPolicy[] _stepPolicies;
    private readonly ISagaAdmission? _admission;
    private readonly bool _runsSagas;
    private Task? _takeover;
    private Task? _dispatched;
    private Task? _following;
    private int _left;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<object?> _execute;
    private int _inFlight;
    private int _busy;
    private bool _draining;

    public SagaExecutor(
        IWriteAheadLog wal,
        SagaStore store,
        LogRetention retention,
        SagaScheduler scheduler,
        IServiceProvider services,
        TimeProvider time,
        IRandomSource random,
        IEnumerable<ISagaRecoveryObserver> observers,
        ILogger<SagaExecutor> logger,
        Microsoft.Extensions.Options.IOptions<Configuration.SymphainyOptions> options,
        IEnumerable<IStepPolicy> stepPolicies,
        IEnumerable<ISagaAdmission> admissions,
        SagaOwnership? ownership = null)
    {
        _stepPolicies = stepPolicies.ToArray();
        var admission = admissions.ToArray();
        if (admission.Length > 1)
        {
            throw new SymphainyException(ErrorCodes.HostMisconfigured,
                $"More than one saga admission is registered ({string.Join(", ", admission.Select(a => a.GetType().Name))}): one decides when sagas start on a host.");
        }

        _admission = admission.Length == 1 && admission[0].MayHold ? admission[0] : null; // one with nothing to enforce costs nothing
        _ownership = ownership;
        _work = ownership?.Work;
        _runsSagas = options.Value.Sagas.Execute;
        if (!_runsSagas && ownership is null)
        {
            throw new SymphainyException(ErrorCodes.HostMisconfigured,
                "Symphainy:Sagas:Execute is false, but this host's write-ahead log is its own: nobody else could run the sagas it accepts. Run sagas here, or share the log between hosts (UseRedis).");
        }

        _wal = wal;
        _store = store;
        _retention = retention;
        _scheduler = scheduler.Scheduler;
        Services = services;
        Time = time;
        Random = random;
        _observers = observers.ToArray();
        _logger = logger;
        _execute = run => _ = ExecuteAsync((SagaRun)run!);
    }

    public IServiceProvider Services { get; }

    public TimeProvider Time { get; }

    public IRandomSource Random { get; }

    public CancellationToken Stopping => _stopping.Token;

    public bool IsStopping => _stopping.IsCancellationRequested || ServicesDisposed();

    /// <summary>The host drains before it stops: no new step starts (the running ones finish and record).</summary>
    public bool IsDraining => Volatile.Read(ref _draining);

    /// <summary>Starts draining: from now on a saga reaching its next step is suspended and resumes after restart.</summary>
    public void BeginDrain() => Volatile.Write(ref _draining, true);

    /// <summary>Sagas that can make progress now (not parked on a timer, a signal or a backoff).</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Raised when no saga is busy any more.</summary>
    public Action? BecameIdle { get; set; }

    /// <summary>Starts running a saga (new, or resumed with its history applied).</summary>
    public void Schedule(SagaRun run)
    {
        run.LastProgress = Time.GetUtcNow();
        _store.Add(run);
        if (_stopping.IsCancellationRequested)
        {
            return; // accepted while the host stops: recorded, resumes on the next start
        }

        if (_admission is not null)
        {
            // Held back by the admission: recorded, counted pending (not busy), started when a release admits it.
            run.Ticket = new SagaTicket(run.Tenant, run.Id, run.Session, run.IntentType, run.FirstPosition, run.Metadata, run);
            if (!_admission.TryAdmit(run.Ticket))
            {
                return;
            }
        }

        Start(run);
    }

    private void Start(SagaRun run)
    {
        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _busy);
        // ExecuteAsync handles its own failures; its task is not awaited by anyone.
        _ = Task.Factory.StartNew(_execute, run, CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler);
    }

    /// <summary>
    /// A saga was cancelled: if the admission holds it back, it starts now (it ends Cancelled at once, running no step)
    /// instead of waiting for a place.
    /// </summary>
    public void StartIfHeld(SagaRun run)
    {
        if (_admission is null || run.Ticket is not { } ticket || _stopping.IsCancellationRequested || IsDraining)
        {
            return;
        }

        bool withdrawn;
        try
        {
            withdrawn = _admission.TryWithdraw(ticket);
        }
        catch (Exception e)
        {
            LogAdmissionFailed(_logger, e, run.Id);
            return;
        }

        if (withdrawn)
        {
            Start(run);
        }
    }

    // An admitted saga stopped running here: the sagas its place lets start now start (unless the host stops: they
    // are recorded and resume on the next start).
    private void Readmit(SagaRun run)
    {
        if (_admission is null || run.Ticket is not { } ticket)
        {
            return;
        }

        run.Ticket = null;
        IReadOnlyList<SagaTicket> admitted;
        try
        {
            admitted = _admission.Release(ticket);
        }
        catch (Exception e)
        {
            LogAdmissionFailed(_logger, e, run.Id);
            return;
        }

        foreach (var next in admitted)
        {
            if (!_stopping.IsCancellationRequested && !IsDraining)
            {
                Start((SagaRun)next.Run);
            }
        }
    }

    public ValueTask RecordAsync(SagaRun run, WalRecordKind kind, byte[] payload) => RecordAsync(run, Entry(run, kind, payload));

    // A record of the saga, fenced with its lease (if any).
    private static WalEntry Entry(SagaRun run, WalRecordKind kind, byte[] payload) =>
        new(kind, run.Tenant, payload, run.Session, run.Id, run.Intent) { PayloadHandedOver = true, Fence = run.Fence };

    private async ValueTask RecordAsync(SagaRun run, WalEntry entry)
    {
        run.LastProgress = Time.GetUtcNow();
        try
        {
            await _wal.AppendAsync(entry).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not SymphainyException { Code: "wal.record_too_large" } && IsStopping)
        {
            // The log closed under us while the host goes away: nothing was acknowledged, the saga resumes.
            throw new SagaSuspendedException("The host stopped while a record was written; the saga resumes after restart.", e);
        }
    }

    public bool HasStepPolicies => _stepPolicies.Length > 0;

    private static readonly IReadOnlyDictionary<string, string> NoMetadata = new Dictionary<string, string>();

    public async ValueTask AuthorizeStepAsync(SagaRun run, string step, CancellationToken cancellationToken)
    {
        var context = new StepContext(run.Tenant, run.Id, run.IntentType, step, run.Metadata ?? NoMetadata);
        foreach (var policy in _stepPolicies)
        {
            await policy.EvaluateAsync(context, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task ParkAsync(Task wait, CancellationToken cancellation)
    {
        // Counted busy again the moment the wait ends (inside the timer, signal or cancellation that ends it), before
        // the saga's continuation is even scheduled, so "idle" never shows while a woken saga waits for a worker.
        // A timer or a signal runs the continuation inline; a cancelled delay runs its continuations asynchronously,
        // so the token's callback (which runs inside Cancel) counts the saga instead. Both are hooked up before the
        // saga stops counting, so a wait that already ended never shows idle either.
        var wake = new Wake(this);
        using var cancelled = cancellation.UnsafeRegister(static state => ((Wake)state!).Once(), wake);
        _ = wait.ContinueWith(static (_, state) => ((Wake)state!).Once(), wake, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (Interlocked.Decrement(ref _busy) == 0)
        {
            BecameIdle?.Invoke();
        }

        await wait.ConfigureAwait(true);
    }

    private async Task<bool> TryTakeAsync(SagaRun run)
    {
        try
        {
            return await _ownership!.TryTakeAsync(run, Stopping).ConfigureAwait(true);
        }
        catch (SymphainyException e) when (e.IsRetryable)
        {
            LogLeaseUnavailable(_logger, e, run.Id); // the lease store is away: try again with the takeover scan
            return false;
        }
    }

    /// <summary>Whether sagas run under leases (the log is shared between hosts).</summary>
    public bool RunsUnderLeases => _ownership is not null;

    /// <summary>
    /// Hands over the saga of an intent this host just recorded: it runs here, or, on a host that runs none, it is
    /// watched until the log shows how it ended where it ran.
    /// </summary>
    public void Accept(SagaRun run)
    {
        if (_runsSagas)
        {
            Schedule(run);
            return;
        }

        Watch(run);
    }

    /// <summary>Knows a saga that runs elsewhere until the log shows its end (or this host is handed it).</summary>
    public void Watch(SagaRun run)
    {
        _store.Add(run);
        _watched[(run.Tenant, run.Id)] = new Watched(run);
    }

    /// <summary>
    /// Leaves a saga to the takeover scan: one another host runs, one this host could not take yet, or one whose
    /// record failed (on a shared log its history may have grown since it was read, so it is read again under the lease).
    /// </summary>
    public void Defer(SagaRun run)
    {
        _store.Add(run);
        _deferred[(run.Tenant, run.Id)] = run;
    }

    /// <summary>
    /// On a shared log, once recovery is done: joins the work queue, renews the membership and takes over the sagas
    /// of hosts that died every third of a lease, and takes the sagas that hosts which run none accepted (or, on such
    /// a host, follows the log for the ends of the sagas it accepted).
    /// </summary>
    /// <param name="readTo">Where recovery stopped reading the log: the ends of the sagas it found start there.</param>
    /// <param name="cancellationToken">Stops joining.</param>
    public async Task JoinAsync(long readTo, CancellationToken cancellationToken)
    {
        if (_ownership is null || _work is null)
        {
            return;
        }

        await _work.JoinAsync(_ownership.Owner, _runsSagas, _ownership.Duration, cancellationToken).ConfigureAwait(false);
        _takeover = TakeOverAsync();
        if (_runsSagas)
        {
            _dispatched = TakeDispatchedAsync();
        }

        if (!_runsSagas || !_watched.IsEmpty)
        {
            _following = FollowEndsAsync(readTo);
        }
    }

    // Sagas that hosts running none accepted: each is handed to one host once, so it starts here from its intent.
    private async Task TakeDispatchedAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var taken = await _work!.TakeAsync(256, TimeSpan.FromSeconds(1), _stopping.Token).ConfigureAwait(false);
                foreach (var work in taken)
                {
                    if (await AdoptAsync(work).ConfigureAwait(false) is { } run)
                    {
                        Schedule(run);
                    }
                }
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogWorkFailed(_logger, e);
                await PauseAsync().ConfigureAwait(false);
            }
        }
    }

    // The ends of the sagas watched here, as other hosts record them: on a host that runs none, those it accepted;
    // on one that runs sagas, those it found unfinished at start (it stops following once they all ended).
    private async Task FollowEndsAsync(long from)
    {
        while (!_stopping.IsCancellationRequested && (!_runsSagas || !_watched.IsEmpty))
        {
            try
            {
                await foreach (var record in _wal.SubscribeAsync(from, _stopping.Token).ConfigureAwait(false))
                {
                    from = record.Position + 1;
                    if (_runsSagas && _watched.IsEmpty)
                    {
                        return;
                    }

                    if (record.Saga is not { } saga || !_watched.TryGetValue((record.Tenant, saga), out var watched))
                    {
                        continue;
                    }

                    if (SagaRun.IsCompletedStep(record))
                    {
                        watched.Steps++;
                    }
                    else if (record.Kind == WalRecordKind.SagaEnded && _watched.TryRemove((record.Tenant, saga), out _))
                    {
                        RetireEndedElsewhere(watched.Run, record, watched.Steps);
                    }
                }
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogWorkFailed(_logger, e);
                await PauseAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task PauseAsync()
    {
        try
        {
            await Task.Delay(_ownership!.Duration / 3, Time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Every third of a lease: renews this host's membership of the work queue and takes over the sagas of hosts whose
    /// membership lapsed; then reads the log once from the oldest deferred saga's first record: a deferred saga that
    /// ended elsewhere is retired here (its waiters get its end), one whose lease this host now takes is rebuilt from
    /// what the log holds now (not from what it held when it was deferred) and resumed.
    /// </summary>
    private async Task TakeOverAsync()
    {
        var interval = _ownership!.Duration / 3;
        var first = true;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                if (!first)
                {
                    await Task.Delay(interval, Time, _stopping.Token).ConfigureAwait(false);
                }

                first = false;
                if (_runsSagas)
                {
                    IReadOnlyList<SagaWork> taken;
                    do
                    {
                        taken = await _work!.RenewAndTakeOverAsync(256, _stopping.Token).ConfigureAwait(false);
                        foreach (var work in taken)
                        {
                            if (_watched.TryRemove((work.Tenant, work.Saga), out var watched))
                            {
                                watched.Run.Work = work; // known here from recovery: now this host's to run
                                LogAdopted(_logger, watched.Run.Id);
                                Defer(watched.Run);
                            }
                            else if (_store.TryGetActive(work.Tenant, work.Saga, out var known))
                            {
                                known.Work = work; // already running or waiting here: its end completes this entry too
                            }
                            else if (await AdoptAsync(work).ConfigureAwait(false) is { } adopted)
                            {
                                LogAdopted(_logger, adopted.Id);
                                Defer(adopted);
                            }
                        }
                    }
                    while (taken.Count == 256);
                }
                else
                {
                    await _work!.RenewAndTakeOverAsync(0, _stopping.Token).ConfigureAwait(false);
                }

                if (_deferred.IsEmpty)
                {
                    continue;
                }

                // One read serves every saga waiting here: its history since its first record.
                var from = _deferred.Values.Min(r => r.FirstPosition);
                var histories = new Dictionary<(TenantId, SagaId), List<WalRecord>>();
                await foreach (var record in _wal.ReadAsync(from, _stopping.Token).ConfigureAwait(false))
                {
                    if (record.Saga is { } saga && _deferred.ContainsKey((record.Tenant, saga)))
                    {
                        (histories.TryGetValue((record.Tenant, saga), out var list) ? list : histories[(record.Tenant, saga)] = []).Add(record);
                    }
                }

                foreach (var (key, deferred) in _deferred)
                {
                    var history = histories.GetValueOrDefault(key) ?? [];
                    if (history.LastOrDefault(r => r.Kind == WalRecordKind.SagaEnded) is { } end)
                    {
                        _deferred.TryRemove(key, out _);
                        RetireEndedElsewhere(deferred, end, history.Count(SagaRun.IsCompletedStep));
                        continue;
                    }

                    var fresh = deferred.Afresh();
                    if (!await TryTakeAsync(fresh).ConfigureAwait(false))
                    {
                        continue;
                    }

                    // Rebuilt from the log as it is now that this host holds the lease: nothing can be added behind it.
                    // It may have ended between the scan's read and the lease (its holder ends it, then gives the lease
                    // back): then it is retired here, never run again.
                    WalRecord? endRecord = null;
                    await foreach (var record in _wal.ReadAsync(deferred.FirstPosition, _stopping.Token).ConfigureAwait(false))
                    {
                        if (record.Saga != deferred.Id || record.Tenant != deferred.Tenant || record.Kind == WalRecordKind.IntentReceived)
                        {
                            continue;
                        }

                        if (record.Kind == WalRecordKind.SagaEnded)
                        {
                            endRecord = record;
                            continue;
                        }

                        fresh.Apply(WalPayloadCodec.Decode(record));
                    }

                    _deferred.TryRemove(key, out _);
                    if (endRecord is not null)
                    {
                        await _ownership!.ReleaseAsync(fresh).ConfigureAwait(false);
                        RetireEndedElsewhere(deferred, endRecord, fresh.CompletedSteps); // Apply counted the steps
                        continue;
                    }

                    _ = fresh.Completion.Task.ContinueWith(static (ended, waiting) => ((SagaRun)waiting!).Completion.TrySetResult(ended.Result), deferred, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    LogTakenOver(_logger, fresh.Id);
                    Schedule(fresh);
                }
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return; // the host is going away (its log may already be closed)
            }
            catch (Exception e)
            {
                // The log, the queue or the lease store failed this round (or a saga could not be rebuilt): the scan
                // runs again, so no waiting saga is given up on.
                LogTakeoverFailed(_logger, e);
            }
        }
    }

    // A waiting saga whose end another host recorded: known here as ended, and its waiters get that end.
    private void RetireEndedElsewhere(SagaRun waiting, WalRecord end, int steps)
    {
        var snapshot = SagaRecovery.EndedSnapshot(end, steps);
        _store.Retire(snapshot);
        waiting.Completion.TrySetResult(snapshot);
        Complete(waiting);
    }

    // A saga the work queue handed this host: known here from its intent record (in the work item, or read from the
    // log). One whose definition this host does not deploy stays queued here until this host leaves, as recovery
    // leaves such a saga unfinished.
    private async Task<SagaRun?> AdoptAsync(SagaWork work)
    {
        var intent = work.Intent;
        if (intent is null)
        {
            await foreach (var record in _wal.ReadAsync(work.Position, _stopping.Token).ConfigureAwait(false))
            {
                intent = record;
                break;
            }
        }

        if (intent is not { Kind: WalRecordKind.IntentReceived, Intent: { } intentId, Saga: { } saga } || saga != work.Saga || intent.Tenant != work.Tenant)
        {
            LogWorkWithoutIntent(_logger, work.Saga, work.Position);
            return null;
        }

        var received = (IntentReceivedPayload)WalPayloadCodec.Decode(intent);
        var definition = Services.GetRequiredService<SagaDefinitionCatalog>().Find(received.Definition, received.Version);
        if (definition is null)
        {
            var error = new SymphainyException(ErrorCodes.SagaDefinitionMissing, $"Saga {saga} runs '{received.Definition}' v{received.Version}, which this host does not register; it stays queued here until this host leaves.");
            _store.Poison(new SagaSnapshot(saga, intent.Tenant, intentId, received.Definition, received.Version, SagaState.Pending, 0, null, null, new SagaError(error.Code, error.Kind, error.Message, null)));
            LogPoisoned(_logger, error, saga, received.Definition, received.Version);
            return null;
        }

        var run = SagaRun.FromIntent(intent, received, definition);
        run.Work = work;
        return run;
    }

    // The saga's end is recorded: its entry leaves the work queue (best effort: an entry left behind is handed out
    // again when this host leaves, and retired from the log then).
    private void Complete(SagaRun run)
    {
        if (_work is null || !_runsSagas)
        {
            return;
        }

        _ = CompleteAsync(run.Work ?? SagaWork.Own(run.Tenant, run.Id, run.FirstPosition));

        async Task CompleteAsync(SagaWork work)
        {
            try
            {
                await _work.CompleteAsync(work, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogCompleteFailed(_logger, e, work.Saga);
            }
        }
    }

    /// <summary>A saga a host that runs none accepted, until the log shows its end.</summary>
    private sealed class Watched(SagaRun run)
    {
        public SagaRun Run { get; } = run;

        public int Steps { get; set; }
    }

    /// <summary>Stops starting steps and waits until every running saga reached a point where it records nothing more.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await BeginStopAsync().ConfigureAwait(false);
        await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_ownership is not null)
        {
            await LeaveAsync().ConfigureAwait(false); // every saga here is suspended and its lease given back
        }
    }

    public async ValueTask DisposeAsync()
    {
        await BeginStopAsync().ConfigureAwait(false);
        try
        {
            await _drained.Task.WaitAsync(DrainOnDispose).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogDrainTimeout(_logger, Volatile.Read(ref _inFlight), DrainOnDispose);
        }

        if (_ownership is not null)
        {
            await _ownership.DisposeAsync().ConfigureAwait(false);
            await LeaveAsync().ConfigureAwait(false);
        }
    }

    // After a stop: the others may take this host's unfinished sagas over at once (their leases are given back).
    private async Task LeaveAsync()
    {
        if (Interlocked.Exchange(ref _left, 1) == 1)
        {
            return;
        }

        foreach (var loop in new[] { _takeover, _dispatched, _following })
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(false); // each ends quietly once the host stops
            }
        }

        try
        {
            if (_takeover is not null)
            {
                await _work!.LeaveAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            LogWorkFailed(_logger, e); // the membership lapses by itself
        }
    }

    private async Task BeginStopAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            _admission?.Clear(); // held sagas are recorded: they resume on the next start
        }

        if (Volatile.Read(ref _inFlight) == 0)
        {
            _drained.TrySetResult();
        }
    }

    private bool ServicesDisposed()
    {
        try
        {
            _ = Services.GetService(typeof(IServiceScopeFactory));
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    private async Task ExecuteAsync(SagaRun run)
    {
        // Every log line written while the saga runs (in steps, services and agents too) carries its ids.
        using var scope = _logger.IsEnabled(LogLevel.Critical)
            ? _logger.BeginExecutionScope(new ExecutionScope(run.Tenant, run.Session, run.Id, run.Intent))
            : null;
        using var activity = Diagnostics.SymphainyDiagnostics.Source.HasListeners()
            ? Diagnostics.SymphainyDiagnostics.Source.StartActivity($"saga {run.Definition.Name}", System.Diagnostics.ActivityKind.Consumer, Diagnostics.SymphainyDiagnostics.Parent(run.TraceParent))
            : null;
        activity?.SetTag("symphainy.saga", run.Id.ToString());
        activity?.SetTag("symphainy.tenant", run.Tenant.ToString());
        var context = new SagaContext(this, run);
        var resumeFromLog = false;
        try
        {
            try
            {
                // On a log shared between hosts, a saga runs where its lease is held; here only if this host takes it.
                // Otherwise it waits for the lease: the takeover scan resumes it from the log once the lease is free,
                // or learns from the log that it ended elsewhere.
                if (_ownership is not null && run.Fence is null)
                {
                    if (!await TryTakeAsync(run).ConfigureAwait(true))
                    {
                        Defer(run);
                        return;
                    }

                    // A saga starts here from its intent alone only if this is the first lease ever taken on it. A
                    // later one means another host held it meanwhile (this host paused between accepting or being
                    // handed the saga and taking its lease, and lost it to a takeover): it may have run, even ended,
                    // there, so it is rebuilt from the log instead.
                    if (run.Fence!.Token != 1)
                    {
                        LogHeldBefore(_logger, run.Id);
                        await _ownership.ReleaseAsync(run).ConfigureAwait(true);
                        run.Fence = null;
                        Defer(run);
                        return;
                    }
                }

                if (!run.StartRecorded)
                {
                    await RecordAsync(run, WalRecordKind.SagaStarted, WalPayloadCodec.EncodeStarted(run.Definition.Name, run.Definition.Version)).ConfigureAwait(true);
                    run.StartRecorded = true;
                }

                run.State = SagaState.Running;
                if (run.CancelReason is not null)
                {
                    await run.Cancellation.CancelAsync().ConfigureAwait(true);
                }

                var bound = run.BoundInput;
                run.BoundInput = null; // once: a run that is suspended and resumed reads the recorded input
                var (ended, output) = await run.Definition.RunAsync(Services, context, run.Input, bound).ConfigureAwait(true);
                ThrowIfRecordedStepsRemain(run);
                try
                {
                    await EndAsync(run, SagaState.Completed, ended, ended.AsMemory(output), null).ConfigureAwait(true);
                }
                catch (SymphainyException tooLarge) when (tooLarge.Code == ErrorCodes.WalRecordTooLarge.Code)
                {
                    resumeFromLog = await FailAsync(run, new SymphainyException(ErrorCodes.StepResultNotRecordable, $"The output of saga {run.Id} cannot be recorded: {tooLarge.Message}", tooLarge)).ConfigureAwait(true);
                }
            }
            catch (SagaSuspendedException)
            {
                LogSuspended(_logger, run.Id);
            }
            catch (Exception) when (IsStopping)
            {
                LogSuspended(_logger, run.Id); // a stop is not a failure: nothing recorded, resumes after restart
            }
            catch (SymphainyException e) when (e.Code == ErrorCodes.SagaNondeterministic.Code)
            {
                await PoisonAsync(run, e).ConfigureAwait(true);
            }
            catch (SymphainyException e) when (e.Code == ErrorCodes.WalFenced.Code)
            {
                LogFenced(_logger, run.Id); // another host holds the saga now and carries on from what was recorded
                run.Fence = null;
                Defer(run);
            }
            catch (SymphainyException e) when (e.Code.StartsWith("wal.", StringComparison.Ordinal))
            {
                LogLogFailed(_logger, e, run.Id);
                resumeFromLog = true;
            }
            catch (Exception e)
            {
                resumeFromLog = await FailAsync(run, e).ConfigureAwait(true);
            }
        }
        finally
        {
            context.Release();
            Readmit(run);
            if (_ownership is not null)
            {
                await _ownership.ReleaseAsync(run).ConfigureAwait(true);
                if (resumeFromLog && !IsStopping)
                {
                    // The shared log failed a record (the server was away, say), and the record may have landed all
                    // the same: the takeover scan rebuilds the saga from what the log holds and resumes it here, or
                    // retires it if its end did land. Only once the lease is given back, so it is taken afresh.
                    run.Fence = null;
                    Defer(run);
                }
            }

            if (Interlocked.Decrement(ref _busy) == 0)
            {
                BecameIdle?.Invoke();
            }

            if (Interlocked.Decrement(ref _inFlight) == 0 && _stopping.IsCancellationRequested)
            {
                _drained.TrySetResult();
            }
        }
    }

    // Returns whether the log failed to record the end (the saga then resumes from the log).
    private async Task<bool> FailAsync(SagaRun run, Exception error)
    {
        var cancelled = error is OperationCanceledException && run.CancelReason is not null;
        var failure = cancelled
            ? new SagaError(ErrorCodes.SagaCancelled.Code, ErrorKind.Domain, $"Cancelled: {run.CancelReason}", run.CurrentStep)
            : SagaError.From(error, run.CurrentStep, ErrorCodes.SagaUnhandledException);
        try
        {
            await CompensateAsync(run, failure).ConfigureAwait(true);
            var state = cancelled ? SagaState.Cancelled : SagaState.Failed;
            await EndAsync(run, state, WalPayloadCodec.EncodeEnded(state, run.Definition.Name, run.Definition.Version, default, hasOutput: false, failure), null, failure).ConfigureAwait(true);
        }
        catch (SagaSuspendedException)
        {
            LogSuspended(_logger, run.Id);
        }
        catch (Exception) when (IsStopping)
        {
            LogSuspended(_logger, run.Id);
        }
        catch (SymphainyException e) when (e.Code.StartsWith("wal.", StringComparison.Ordinal))
        {
            LogLogFailed(_logger, e, run.Id);
            return true;
        }

        return false;
    }

    /// <summary>Runs the compensations of completed steps in reverse order, each recorded once.</summary>
    private async Task CompensateAsync(SagaRun run, SagaError cause)
    {
        if (!run.HasCompensations)
        {
            return;
        }

        run.State = SagaState.Compensating;
        if (!run.CompensationRecorded)
        {
            await RecordAsync(run, WalRecordKind.SagaCompensating, WalPayloadCodec.Encode(new SagaCompensatingPayload(cause))).ConfigureAwait(true);
            run.CompensationRecorded = true;
        }

        for (var i = run.Compensations.Count - 1; i >= 0; i--)
        {
            var (index, name, compensate) = run.Compensations[i];
            if (run.Compensated.Contains(index))
            {
                continue;
            }

            if (_stopping.IsCancellationRequested)
            {
                throw new SagaSuspendedException();
            }

            run.CurrentStep = name;
            try
            {
                await compensate().ConfigureAwait(true);
            }
            catch (Exception e) when (e is not SagaSuspendedException && !IsStopping)
            {
                // A compensation that fails is recorded and reported; the others still run.
                LogCompensationFailed(_logger, e, run.Id, name);
                var error = new SagaError(ErrorCodes.SagaCompensationFailed.Code, ErrorCodes.SagaCompensationFailed.Kind, $"Compensating step '{name}' failed: {e.Message}", name);
                await RecordAsync(run, WalRecordKind.StepFailed, WalPayloadCodec.Encode(new StepFailedPayload(index, name, StepKind.Compensation, 1, true, error, TimeSpan.Zero))).ConfigureAwait(true);
            }

            await RecordAsync(run, WalRecordKind.StepCompleted, WalPayloadCodec.Encode(new StepCompletedPayload(index, name, StepKind.Compensation))).ConfigureAwait(true);
            run.Compensated.Add(index);
        }
    }

    private async Task EndAsync(SagaRun run, SagaState state, byte[] payload, ReadOnlyMemory<byte>? output, SagaError? error)
    {
        // On a shared log the end record also gives the saga's lease back and removes its work item, in one step.
        var entry = Entry(run, WalRecordKind.SagaEnded, payload);
        var shared = _work is not null && run.Fence is not null;
        if (shared)
        {
            entry = entry with { ReleasesFence = true, CompletesWork = run.Work ?? SagaWork.Own(run.Tenant, run.Id, run.FirstPosition) };
        }

        // A signal or cancellation being recorded right now lands before the end, and none starts after it.
        await run.BeginEndingAsync().ConfigureAwait(true);
        try
        {
            await RecordAsync(run, entry).ConfigureAwait(true);
        }
        catch
        {
            run.EndingFailed();
            throw;
        }

        if (Diagnostics.SymphainyDiagnostics.SagasEnded.Enabled)
        {
            Diagnostics.SymphainyDiagnostics.SagasEnded.Add(1, new KeyValuePair<string, object?>("definition", run.Definition.Name), new KeyValuePair<string, object?>("state", state.ToString()));
        }

        if (Diagnostics.SymphainyDiagnostics.SagaDuration.Enabled && run.AcceptedAt != default)
        {
            Diagnostics.SymphainyDiagnostics.SagaDuration.Record(
                Math.Max(0, (Time.GetUtcNow() - run.AcceptedAt).TotalSeconds),
                new KeyValuePair<string, object?>("type", run.IntentType), new KeyValuePair<string, object?>("outcome", state.ToString()));
        }

        if (shared)
        {
            _ownership!.Forget(run); // given back with the record
        }

        run.State = state;
        run.Output = output;
        run.Error = error;
        run.CurrentStep = null;
        var snapshot = run.Snapshot();
        _store.Retire(snapshot);
        run.Completion.TrySetResult(snapshot);
        if (!shared)
        {
            Complete(run);
        }

        await _retention.OnSagaEndedAsync(_stopping.Token).ConfigureAwait(true);
    }

    // Replay: an orchestrator that returns before reaching steps the log recorded was changed (a step removed); ending
    // the saga would silently drop what the log says happened.
    private static void ThrowIfRecordedStepsRemain(SagaRun run)
    {
        if (!run.HasRecorded)
        {
            return;
        }

        StepCompletedPayload? first = null;
        foreach (var (index, step) in run.Recorded)
        {
            if (index >= run.NextIndex && (first is null || index < first.Index))
            {
                first = step;
            }
        }

        if (first is not null)
        {
            throw new SagaNondeterminismException(run.Id, run.Definition.Name, run.Definition.Version, first.Index, null, (first.StepKind, first.Name));
        }
    }

    private async Task PoisonAsync(SagaRun run, SymphainyException error)
    {
        run.State = SagaState.Pending;
        run.Error = new SagaError(error.Code, error.Kind, error.Message, run.CurrentStep);
        _store.Poison(run.Snapshot());
        LogPoisoned(_logger, error, run.Id, run.Definition.Name, run.Definition.Version);
        foreach (var observer in _observers)
        {
            await observer.OnPoisonAsync(run.Snapshot(), error, _stopping.Token).ConfigureAwait(true);
        }
    }

    /// <summary>Counts a parked saga busy again, once, whichever ends its wait first.</summary>
    private sealed class Wake(SagaExecutor executor)
    {
        private int _woken;

        public void Once()
        {
            if (Interlocked.Exchange(ref _woken, 1) == 0)
            {
                Interlocked.Increment(ref executor._busy);
            }
        }
    }

    [LoggerMessage(10, LogLevel.Debug, "Saga {Saga} suspended: the host is stopping; it resumes after restart")]
    private static partial void LogSuspended(ILogger logger, SagaId saga);

    [LoggerMessage(11, LogLevel.Error, "Saga {Saga} stopped: the write-ahead log refused a record; it resumes from what was recorded, after restart (or, on a shared log, once the log answers again)")]
    private static partial void LogLogFailed(ILogger logger, Exception exception, SagaId saga);

    [LoggerMessage(12, LogLevel.Error, "Saga {Saga} cannot run ({Definition} v{Version}); it stays unfinished until the cause is fixed")]
    internal static partial void LogPoisoned(ILogger logger, Exception exception, SagaId saga, string definition, int version);

    [LoggerMessage(13, LogLevel.Error, "Saga {Saga}: compensation of step {Step} failed")]
    private static partial void LogCompensationFailed(ILogger logger, Exception exception, SagaId saga, string step);

    [LoggerMessage(17, LogLevel.Warning, "Saga {Saga}: the lease store did not answer; the saga waits for the takeover scan")]
    private static partial void LogLeaseUnavailable(ILogger logger, Exception exception, SagaId saga);

    [LoggerMessage(18, LogLevel.Information, "Saga {Saga}: this host took its lease over and resumes it from what the log holds")]
    private static partial void LogTakenOver(ILogger logger, SagaId saga);

    [LoggerMessage(19, LogLevel.Warning, "The takeover scan of sagas waiting for their lease failed; it runs again")]
    private static partial void LogTakeoverFailed(ILogger logger, Exception exception);

    [LoggerMessage(16, LogLevel.Information, "Saga {Saga} stopped here: its lease was taken over, so the log refused its record; the lease's holder carries on")]
    private static partial void LogFenced(ILogger logger, SagaId saga);

    [LoggerMessage(54, LogLevel.Information, "Saga {Saga} was held by another host before this one took its lease; it is rebuilt from the log rather than started afresh")]
    private static partial void LogHeldBefore(ILogger logger, SagaId saga);

    [LoggerMessage(50, LogLevel.Warning, "The saga work queue failed; this host tries again")]
    private static partial void LogWorkFailed(ILogger logger, Exception exception);

    [LoggerMessage(51, LogLevel.Information, "Saga {Saga}: taken over from a host that left or died; it resumes here from what the log holds once its lease is free")]
    private static partial void LogAdopted(ILogger logger, SagaId saga);

    [LoggerMessage(52, LogLevel.Error, "Saga {Saga}: the work queue names position {Position}, which does not hold its intent record; the entry is left alone")]
    private static partial void LogWorkWithoutIntent(ILogger logger, SagaId saga, long position);

    [LoggerMessage(53, LogLevel.Debug, "Saga {Saga}: removing its ended entry from the work queue failed; it is retired from the log when handed out again")]
    private static partial void LogCompleteFailed(ILogger logger, Exception exception, SagaId saga);

    [LoggerMessage(15, LogLevel.Warning, "{Count} sagas were still running {Timeout} after the host was disposed; what they record from now on is lost and they resume after restart")]
    private static partial void LogDrainTimeout(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(55, LogLevel.Error, "Saga {Saga}: the saga admission failed when the saga gave its place back; sagas it held may wait until the next start")]
    private static partial void LogAdmissionFailed(ILogger logger, Exception exception, SagaId saga);
}

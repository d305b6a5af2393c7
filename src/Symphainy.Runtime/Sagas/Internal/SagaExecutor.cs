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
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(TenantId, SagaId), byte> _accepting = new();
    private Task? _takeover;
    private long _discoveredTo;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<object?> _execute;
    private int _inFlight;
    private int _busy;

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
        SagaOwnership? ownership = null)
    {
        _ownership = ownership;
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

    /// <summary>Sagas that can make progress now (not parked on a timer, a signal or a backoff).</summary>
    public int Busy => Volatile.Read(ref _busy);

    /// <summary>Raised when no saga is busy any more.</summary>
    public Action? BecameIdle { get; set; }

    /// <summary>Starts running a saga (new, or resumed with its history applied).</summary>
    public void Schedule(SagaRun run)
    {
        _store.Add(run);
        if (_stopping.IsCancellationRequested)
        {
            return; // accepted while the host stops: recorded, resumes on the next start
        }

        Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _busy);
        // ExecuteAsync handles its own failures; its task is not awaited by anyone.
        _ = Task.Factory.StartNew(_execute, run, CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler);
    }

    public async ValueTask RecordAsync(SagaRun run, WalRecordKind kind, byte[] payload)
    {
        try
        {
            await _wal.AppendAsync(new WalEntry(kind, run.Tenant, payload, run.Session, run.Id, run.Intent) { PayloadHandedOver = true, Fence = run.Fence }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not SymphainyException { Code: "wal.record_too_large" } && IsStopping)
        {
            // The log closed under us while the host goes away: nothing was acknowledged, the saga resumes.
            throw new SagaSuspendedException("The host stopped while a record was written; the saga resumes after restart.", e);
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

    /// <summary>
    /// On a shared log: a saga whose intent this host is recording. Its record may be read (by this host's takeover
    /// scan) before the append answers; the scan leaves it to the intake, which starts it once the append answers.
    /// </summary>
    public void Reserve(TenantId tenant, SagaId saga)
    {
        if (_ownership is not null)
        {
            _accepting[(tenant, saga)] = 0;
        }
    }

    /// <summary>Ends a <see cref="Reserve"/>: the saga is in the store now, or its intent was not acknowledged.</summary>
    public void Unreserve(TenantId tenant, SagaId saga)
    {
        if (_ownership is not null)
        {
            _accepting.TryRemove((tenant, saga), out _);
        }
    }

    /// <summary>Whether sagas run under leases (the log is shared between hosts).</summary>
    public bool RunsUnderLeases => _ownership is not null;

    /// <summary>
    /// Leaves a saga to the takeover scan: one another host runs, one this host could not take yet, or one recovery
    /// found (on a shared log its history may have grown since it was read, so it is read again under the lease).
    /// </summary>
    public void Defer(SagaRun run)
    {
        _store.Add(run);
        _deferred[(run.Tenant, run.Id)] = run;
        EnsureTakeover();
    }

    /// <summary>
    /// On a shared log, starts the takeover scan after recovery read the log up to <paramref name="from"/>: from there
    /// it also finds the sagas other hosts accept, so that a host that dies loses them to the hosts still running.
    /// </summary>
    public void BeginTakeover(long from)
    {
        if (_ownership is null)
        {
            return;
        }

        Interlocked.Exchange(ref _discoveredTo, from);
        EnsureTakeover();
    }

    private void EnsureTakeover()
    {
        if (Interlocked.CompareExchange(ref _takeover, Task.CompletedTask, null) is null)
        {
            _takeover = TakeOverAsync();
        }
    }

    /// <summary>
    /// Every third of a lease: reads the log once from the oldest deferred saga's first record; a deferred saga that
    /// ended elsewhere is retired here (its waiters get its end), one whose lease this host now takes is rebuilt from
    /// what the log holds now (not from what it held when it was deferred) and resumed.
    /// </summary>
    private async Task TakeOverAsync()
    {
        var interval = _ownership!.Duration / 3;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, Time, _stopping.Token).ConfigureAwait(false);
                var discoveredTo = Interlocked.Read(ref _discoveredTo);
                var from = discoveredTo > 0 ? discoveredTo : long.MaxValue;
                if (!_deferred.IsEmpty)
                {
                    from = Math.Min(from, _deferred.Values.Min(r => r.FirstPosition));
                }

                if (from == long.MaxValue)
                {
                    continue;
                }

                // One read serves both: the history of the sagas waiting here, and the sagas other hosts accepted since
                // the last scan. One accepted less than a third of a lease ago is left to its host for now (it takes
                // the lease at once) and looked at again by the next scan; so is one whose intent this host's intake
                // is still recording (the intake starts it, so the scan must not: the lease alone would not stop a
                // second run here after the first one ended).
                var histories = new Dictionary<(TenantId, SagaId), List<WalRecord>>();
                var foreign = new Dictionary<(TenantId, SagaId), WalRecord>();
                var endedInWindow = new HashSet<(TenantId, SagaId)>();
                var youngFrom = long.MaxValue;
                var last = from - 1;
                var settled = Time.GetUtcNow() - interval;
                await foreach (var record in _wal.ReadAsync(from, _stopping.Token).ConfigureAwait(false))
                {
                    last = record.Position;
                    if (record.Saga is not { } saga)
                    {
                        continue;
                    }

                    var key = (record.Tenant, saga);
                    if (_deferred.ContainsKey(key))
                    {
                        (histories.TryGetValue(key, out var list) ? list : histories[key] = []).Add(record);
                    }
                    else if (discoveredTo > 0 && record.Position >= discoveredTo)
                    {
                        if (record.Kind == WalRecordKind.SagaEnded)
                        {
                            endedInWindow.Add(key);
                        }
                        else if (record.Kind == WalRecordKind.IntentReceived && (record.Timestamp > settled || _accepting.ContainsKey(key)))
                        {
                            youngFrom = Math.Min(youngFrom, record.Position);
                        }
                        else if (record.Kind == WalRecordKind.IntentReceived && _store.Find(record.Tenant, saga) is null)
                        {
                            foreign[key] = record;
                        }
                    }
                }

                if (discoveredTo > 0)
                {
                    Interlocked.Exchange(ref _discoveredTo, Math.Min(last + 1, youngFrom));
                }

                foreach (var (key, intent) in foreign)
                {
                    if (!endedInWindow.Contains(key) && Adopt(intent) is { } adopted)
                    {
                        Defer(adopted); // tried below, with a history read again under the lease if it is taken
                    }
                }

                foreach (var (key, deferred) in _deferred)
                {
                    var history = histories.GetValueOrDefault(key) ?? [];
                    if (history.LastOrDefault(r => r.Kind == WalRecordKind.SagaEnded) is { } end)
                    {
                        _deferred.TryRemove(key, out _);
                        var steps = history.Count(r => r.Kind == WalRecordKind.StepCompleted && WalPayloadCodec.Decode(r) is StepCompletedPayload { StepKind: StepKind.Step or StepKind.Agent });
                        RetireEndedElsewhere(deferred, end, steps);
                        continue;
                    }

                    var fresh = new SagaRun(deferred.Id, deferred.Tenant, deferred.Session, deferred.Intent, deferred.Definition, deferred.Input, deferred.FirstPosition);
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
                // The log or the lease store failed this round (or a saga could not be rebuilt): the scan runs again,
                // so no waiting saga is given up on.
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
    }

    // A saga another host accepted: known here from its intent record, for the takeover scan.
    private SagaRun? Adopt(WalRecord intent)
    {
        var received = (IntentReceivedPayload)WalPayloadCodec.Decode(intent);
        var definition = Services.GetRequiredService<SagaDefinitionCatalog>().Find(received.Definition, received.Version);
        return definition is null || intent.Intent is not { } intentId
            ? null // a definition this host does not deploy: left to the hosts that do
            : new SagaRun(intent.Saga!.Value, intent.Tenant, intent.Session, intentId, definition, received.Input, intent.Position);
    }

    /// <summary>Stops starting steps and waits until every running saga reached a point where it records nothing more.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await BeginStopAsync().ConfigureAwait(false);
        await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
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
        }
    }

    private async Task BeginStopAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
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
        var context = new SagaContext(this, run);
        var resumeFromLog = false;
        try
        {
            try
            {
                // On a log shared between hosts, a saga runs where its lease is held; here only if this host takes it.
                // Otherwise it waits for the lease: the takeover scan resumes it from the log once the lease is free,
                // or learns from the log that it ended elsewhere.
                if (_ownership is not null && run.Fence is null && !await TryTakeAsync(run).ConfigureAwait(true))
                {
                    Defer(run);
                    return;
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
        await RecordAsync(run, WalRecordKind.SagaEnded, payload).ConfigureAwait(true);
        run.State = state;
        run.Output = output;
        run.Error = error;
        run.CurrentStep = null;
        var snapshot = run.Snapshot();
        _store.Retire(snapshot);
        run.Completion.TrySetResult(snapshot);
        await _retention.OnSagaEndedAsync(_stopping.Token).ConfigureAwait(true);
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

    [LoggerMessage(15, LogLevel.Warning, "{Count} sagas were still running {Timeout} after the host was disposed; what they record from now on is lost and they resume after restart")]
    private static partial void LogDrainTimeout(ILogger logger, int count, TimeSpan timeout);
}

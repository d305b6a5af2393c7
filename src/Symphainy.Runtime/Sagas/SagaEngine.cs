using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Symphainy.Configuration;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Logging;
using Symphainy.Sagas.Internal;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Sagas;

/// <summary>
/// Runs sagas: records every transition in the write-ahead log before it takes effect, runs orchestrators on a
/// bounded worker pool (one saga's steps in order, many sagas in parallel), publishes execution events, and on
/// start replays the log to resume every unfinished saga from its last recorded step.
/// </summary>
public sealed partial class SagaEngine : ISagaEngine, ISagaHost, IHostedService, IWalRetentionHold, IAsyncDisposable
{
    private readonly IWriteAheadLog _wal;
    private readonly IExecutionEventBus _bus;
    private readonly SagaDefinitionCatalog _catalog;
    private readonly ISagaRecoveryObserver[] _observers;
    private readonly SagaOptions _options;
    private readonly ILogger _logger;
    private readonly TaskScheduler _scheduler;
    private readonly ConcurrentDictionary<SagaId, SagaRun> _active = new();
    private readonly ConcurrentDictionary<SagaId, SagaSnapshot> _ended = new();
    private readonly ConcurrentQueue<SagaId> _endedOrder = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private bool _started;
    private long _endedSinceCheckpoint;

    /// <summary>Creates the engine; <see cref="StartAsync"/> recovers and opens it for work.</summary>
    /// <param name="wal">The log every transition is recorded in.</param>
    /// <param name="bus">Where execution events go.</param>
    /// <param name="catalog">The saga definitions.</param>
    /// <param name="scheduler">The worker pool orchestrators run on.</param>
    /// <param name="services">Resolves orchestrators, services and agents.</param>
    /// <param name="time">The clock of timers and backoff.</param>
    /// <param name="random">The source of backoff jitter.</param>
    /// <param name="observers">Recovery hooks.</param>
    /// <param name="options">Engine settings.</param>
    /// <param name="store">Where idempotency keys are kept (and restored into on recovery).</param>
    /// <param name="logger">Receives recovery and failure reports.</param>
    public SagaEngine(
        IWriteAheadLog wal,
        IHotStateStore store,
        IExecutionEventBus bus,
        SagaDefinitionCatalog catalog,
        SagaScheduler scheduler,
        IServiceProvider services,
        TimeProvider time,
        IRandomSource random,
        IEnumerable<ISagaRecoveryObserver> observers,
        IOptions<SymphainyOptions> options,
        ILogger<SagaEngine> logger)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(options);
        _wal = wal;
        _bus = bus;
        _catalog = catalog;
        _scheduler = scheduler.Scheduler;
        Services = services;
        Time = time;
        Random = random;
        _observers = observers.ToArray();
        _options = options.Value.Sagas;
        _logger = logger;
        IdempotencyKeys = new IdempotencyKeys(store, time, options.Value.Intake.IdempotencyWindow);
    }

    /// <summary>Completes when recovery finished and the engine accepts work.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Whether the host started the engine (recovery may still be running).</summary>
    public bool Started => Volatile.Read(ref _started);

    /// <inheritdoc/>
    public IServiceProvider Services { get; }

    /// <inheritdoc/>
    public TimeProvider Time { get; }

    /// <inheritdoc/>
    public IRandomSource Random { get; }

    CancellationToken ISagaHost.Stopping => _stopping.Token;

    /// <summary>Sagas running or waiting in this process.</summary>
    public int ActiveCount => _active.Count;

    /// <inheritdoc/>
    public ValueTask<SagaSnapshot?> GetAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(saga, out var run) && run.Tenant == tenant)
        {
            return ValueTask.FromResult<SagaSnapshot?>(run.Snapshot());
        }

        return _ended.TryGetValue(saga, out var ended)
            ? ValueTask.FromResult(ended.Tenant == tenant ? ended : null)
            : FromGraphAsync(tenant, saga, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<SagaSnapshot> WaitForEndAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(saga, out var run) && run.Tenant == tenant)
        {
            return await run.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return await GetAsync(tenant, saga, cancellationToken).ConfigureAwait(false) is { IsEnded: true } ended ? ended : throw NotFound(saga);
    }

    /// <summary>An ended saga no longer in memory, as the state graph recorded it (see <c>WalGraphMapping</c>).</summary>
    private async ValueTask<SagaSnapshot?> FromGraphAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken)
    {
        var graph = Services.GetService<IStateGraph>();
        var node = graph is null ? null : await graph.GetNodeAsync(tenant, saga.ToString(), cancellationToken).ConfigureAwait(false);
        if (node?.Properties is not { } properties || !properties.TryGetProperty("state", out var stateText)
            || !Enum.TryParse<SagaState>(stateText.GetString(), out var state) || state is not (SagaState.Completed or SagaState.Failed or SagaState.Cancelled))
        {
            return null;
        }

        var output = await graph!.GetNodeAsync(tenant, $"{saga}/output", cancellationToken).ConfigureAwait(false);
        var error = properties.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
            ? new SagaError(code.GetString()!, ErrorKind.Domain, properties.GetProperty("message").GetString() ?? "", null)
            : null;
        string? Text(string name) => properties.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        var version = properties.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
        return new SagaSnapshot(saga, tenant, default, Text("definition") ?? "(unknown)", version, state, 0, null,
            output?.Properties is { } o && o.TryGetProperty("value", out var value) ? value.Clone() : null, error);
    }

    /// <inheritdoc/>
    public async ValueTask<long> SignalAsync(TenantId tenant, SagaId saga, string name, JsonElement value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var run = await RunningAsync(tenant, saga, cancellationToken).ConfigureAwait(false);
        var payload = SagaRecords.Signal("signal", name, value.Clone());
        var position = await RecordCoreAsync(run, WalRecordKind.SagaSignalled, payload, ExecutionEventKind.Signalled, name).ConfigureAwait(false);
        run.Deliver(name, value.Clone());
        return position;
    }

    /// <inheritdoc/>
    public async ValueTask<long> CancelAsync(TenantId tenant, SagaId saga, string reason, CancellationToken cancellationToken = default)
    {
        var run = await RunningAsync(tenant, saga, cancellationToken).ConfigureAwait(false);
        var position = await RecordCoreAsync(run, WalRecordKind.SagaSignalled, SagaRecords.Signal("cancel", message: reason), ExecutionEventKind.Signalled, null).ConfigureAwait(false);
        run.CancelReason = reason;
        await run.Cancellation.CancelAsync().ConfigureAwait(false);
        return position;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<ExecutionEvent> WatchAsync(TenantId tenant, SagaId? saga, long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var record in _wal.SubscribeAsync(Math.Max(fromPosition, _wal.FirstPosition), cancellationToken).ConfigureAwait(false))
        {
            if (record.Tenant != tenant || record.Saga is not { } id || (saga is { } only && only != id))
            {
                continue;
            }

            var (kind, state, step) = Describe(record);
            yield return new ExecutionEvent(record.Position, kind, tenant, id, state, step, record.Timestamp);
        }
    }

    /// <summary>The lowest log position an unfinished saga still needs.</summary>
    public long RetainFrom => _poisoned.Count > 0
        ? 1
        : _active.Values.Select(r => r.FirstPosition).DefaultIfEmpty(_wal.NextPosition).Min();

    /// <summary>
    /// Lets the log remove what no reader needs any more: checkpoints at the lowest position any
    /// <see cref="IWalRetentionHold"/> (this engine, the graph projector) still needs. The engine does this by
    /// itself every <see cref="CheckpointEvery"/> ended sagas.
    /// </summary>
    /// <param name="cancellationToken">Cancels the checkpoint.</param>
    /// <returns>The log's first position after the checkpoint.</returns>
    public async ValueTask<long> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        var holds = Services.GetServices<IWalRetentionHold>().ToArray();
        var from = holds.Length == 0 ? RetainFrom : holds.Min(h => h.RetainFrom);
        return await _wal.CheckpointAsync(Math.Min(from, RetainFrom), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How many sagas end between automatic checkpoints.</summary>
    public const int CheckpointEvery = 1024;

    /// <summary>Starts a saga for an intent already recorded at <paramref name="position"/>.</summary>
    internal void Launch(SagaId saga, TenantId tenant, SessionId? session, IntentId intent, SagaDefinition definition, JsonElement input, long position)
    {
        var run = new SagaRun(saga, tenant, session, intent, definition, input) { FirstPosition = position };
        _active[saga] = run;
        Schedule(run);
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _started, true);
        return RecoverAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (Interlocked.CompareExchange(ref _inFlight, 0, 0) == 0)
        {
            _drained.TrySetResult();
        }

        // Sagas stop at their next wait or step without recording anything; they resume after restart.
        await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    ValueTask ISagaHost.RecordAsync(SagaRun run, WalRecordKind kind, byte[] payload, ExecutionEventKind eventKind, string? step) =>
        new(RecordCoreAsync(run, kind, payload, eventKind, step));

    ValueTask ISagaHost.PublishAsync(SagaRun run, ExecutionEventKind eventKind, string? step) => PublishAsync(run, eventKind, step, 0);

    private async Task<long> RecordCoreAsync(SagaRun run, WalRecordKind kind, byte[] payload, ExecutionEventKind eventKind, string? step)
    {
        var position = await _wal.AppendAsync(new WalEntry(kind, run.Tenant, payload, run.Session, run.Id, run.Intent)).ConfigureAwait(false);
        await PublishAsync(run, eventKind, step, position).ConfigureAwait(false);
        return position;
    }

    private ValueTask PublishAsync(SagaRun run, ExecutionEventKind kind, string? step, long position) =>
        _bus.PublishAsync(new ExecutionEvent(position, kind, run.Tenant, run.Id, run.State, step, Time.GetUtcNow()));

    private void Schedule(SagaRun run)
    {
        Interlocked.Increment(ref _inFlight);
        _ = Task.Factory.StartNew(() => ExecuteAsync(run), CancellationToken.None, TaskCreationOptions.DenyChildAttach, _scheduler).Unwrap();
    }

    private async Task ExecuteAsync(SagaRun run)
    {
        // Every log line written while the saga runs (in steps, services and agents too) carries its ids.
        using var scope = _logger.IsEnabled(LogLevel.Critical)
            ? _logger.BeginExecutionScope(new ExecutionScope(run.Tenant, run.Session, run.Id, run.Intent))
            : null;
        try
        {
            var context = new SagaContext(this, run);
            try
            {
                if (!run.StartRecorded)
                {
                    await PublishAsync(run, ExecutionEventKind.IntentAccepted, null, run.FirstPosition).ConfigureAwait(true);
                    var started = SagaRecords.Write(w =>
                    {
                        w.WriteString("d", run.Definition.Name);
                        w.WriteNumber("v", run.Definition.Version);
                    });
                    run.State = SagaState.Running;
                    await RecordCoreAsync(run, WalRecordKind.SagaStarted, started, ExecutionEventKind.SagaStarted, null).ConfigureAwait(true);
                    run.StartRecorded = true;
                }

                run.State = SagaState.Running;
                if (run.CancelReason is not null)
                {
                    await run.Cancellation.CancelAsync().ConfigureAwait(true);
                }

                var output = await run.Definition.RunAsync(Services, context, run.Input).ConfigureAwait(true);
                await EndAsync(run, SagaState.Completed, output, null).ConfigureAwait(true);
            }
            catch (SagaSuspendedException)
            {
                LogSuspended(_logger, run.Id);
            }
            catch (SymphainyException e) when (e.Code == ErrorCodes.SagaNondeterministic.Code)
            {
                await PoisonAsync(run, e).ConfigureAwait(true);
            }
            catch (SymphainyException e) when (e.Code.StartsWith("wal.", StringComparison.Ordinal))
            {
                LogLogFailed(_logger, e, run.Id);
            }
            catch (Exception e)
            {
                await FailAsync(run, e).ConfigureAwait(true);
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref _inFlight) == 0 && _stopping.IsCancellationRequested)
            {
                _drained.TrySetResult();
            }
        }
    }

    private async Task FailAsync(SagaRun run, Exception error)
    {
        var cancelled = error is OperationCanceledException && run.Cancellation.IsCancellationRequested;
        var failure = cancelled
            ? new SagaError(ErrorCodes.SagaCancelled.Code, ErrorKind.Domain, $"Cancelled: {run.CancelReason}", run.CurrentStep)
            : error is SymphainyException typed
                ? new SagaError(typed.Code, typed.Kind, typed.Message, run.CurrentStep)
                : new SagaError("saga.unhandled_exception", ErrorKind.Platform, $"{error.GetType().Name}: {error.Message}", run.CurrentStep);
        try
        {
            await CompensateAsync(run).ConfigureAwait(true);
            await EndAsync(run, cancelled ? SagaState.Cancelled : SagaState.Failed, null, failure).ConfigureAwait(true);
        }
        catch (SagaSuspendedException)
        {
            LogSuspended(_logger, run.Id);
        }
        catch (SymphainyException e) when (e.Code.StartsWith("wal.", StringComparison.Ordinal))
        {
            LogLogFailed(_logger, e, run.Id);
        }
    }

    /// <summary>Runs the compensations of completed steps in reverse order, each recorded once.</summary>
    private async Task CompensateAsync(SagaRun run)
    {
        if (run.Compensations.Count == 0)
        {
            return;
        }

        run.State = SagaState.Compensating;
        await PublishAsync(run, ExecutionEventKind.Compensating, null, 0).ConfigureAwait(true);
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
            catch (Exception e) when (e is not SagaSuspendedException)
            {
                // A compensation that fails is recorded and reported; the others still run.
                LogCompensationFailed(_logger, e, run.Id, name);
                var error = new SagaError("saga.compensation_failed", ErrorKind.Platform, $"Compensating step '{name}' failed: {e.Message}", name);
                await RecordCoreAsync(run, WalRecordKind.StepFailed, SagaRecords.Failed(index, name, 1, true, error, TimeSpan.Zero), ExecutionEventKind.StepFailed, name).ConfigureAwait(true);
            }

            await RecordCoreAsync(run, WalRecordKind.StepCompleted, SagaRecords.Step(index, name, "comp"), ExecutionEventKind.StepCompleted, name).ConfigureAwait(true);
            run.Compensated.Add(index);
        }
    }

    private async Task EndAsync(SagaRun run, SagaState state, JsonElement? output, SagaError? error)
    {
        run.State = state;
        run.Output = output;
        run.Error = error;
        run.CurrentStep = null;
        var kind = state switch
        {
            SagaState.Completed => ExecutionEventKind.SagaCompleted,
            SagaState.Cancelled => ExecutionEventKind.SagaCancelled,
            _ => ExecutionEventKind.SagaFailed,
        };
        await RecordCoreAsync(run, WalRecordKind.SagaEnded, SagaRecords.Ended(run.Definition, state, output, error), kind, null).ConfigureAwait(true);
        var snapshot = run.Snapshot();
        Retire(snapshot);
        run.Completion.TrySetResult(snapshot);
        if (Interlocked.Increment(ref _endedSinceCheckpoint) % CheckpointEvery == 0)
        {
            await CheckpointQuietlyAsync().ConfigureAwait(true);
        }
    }

    private async Task CheckpointQuietlyAsync()
    {
        try
        {
            await CheckpointAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException or SymphainyException)
        {
            // Retention is housekeeping: a failed checkpoint keeps more log, it loses nothing.
            LogCheckpointFailed(_logger, e);
        }
    }

    private void Retire(SagaSnapshot snapshot)
    {
        _ended[snapshot.Id] = snapshot;
        _active.TryRemove(snapshot.Id, out _);
        _endedOrder.Enqueue(snapshot.Id);
        while (_endedOrder.Count > _options.EndedSagasKept && _endedOrder.TryDequeue(out var oldest))
        {
            _ended.TryRemove(oldest, out _);
        }
    }

    private async Task PoisonAsync(SagaRun run, SymphainyException error)
    {
        run.State = SagaState.Pending;
        run.Error = new SagaError(error.Code, error.Kind, error.Message, run.CurrentStep);
        LogPoisoned(_logger, error, run.Id, run.Definition.Name, run.Definition.Version);
        foreach (var observer in _observers)
        {
            await observer.OnPoisonAsync(run.Snapshot(), error, _stopping.Token).ConfigureAwait(true);
        }
    }

    private async ValueTask<SagaRun> RunningAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken)
    {
        if (_active.TryGetValue(saga, out var run) && run.Tenant == tenant)
        {
            return run;
        }

        if (await GetAsync(tenant, saga, cancellationToken).ConfigureAwait(false) is { IsEnded: true } ended)
        {
            throw new SymphainyException(ErrorCodes.SagaAlreadyEnded, $"Saga {saga} already ended ({ended.State}).");
        }

        throw NotFound(saga);
    }

    private static SymphainyException NotFound(SagaId saga) =>
        new(ErrorCodes.SagaNotFound, $"Saga {saga} does not exist in this tenant (or ended long enough ago to be forgotten by this host).");

    private static (ExecutionEventKind Kind, SagaState State, string? Step) Describe(WalRecord record)
    {
        var payload = SagaRecords.Parse(record.Payload);
        string? Name() => payload.TryGetProperty("n", out var n) ? n.GetString() : null;
        return record.Kind switch
        {
            WalRecordKind.IntentReceived => (ExecutionEventKind.IntentAccepted, SagaState.Pending, null),
            WalRecordKind.SagaStarted => (ExecutionEventKind.SagaStarted, SagaState.Running, null),
            WalRecordKind.StepCompleted => payload.GetProperty("k").GetString() switch
            {
                "timer" or "wait" => (ExecutionEventKind.Waiting, SagaState.Waiting, Name()),
                "comp" => (ExecutionEventKind.StepCompleted, SagaState.Compensating, Name()),
                _ => (ExecutionEventKind.StepCompleted, SagaState.Running, Name()),
            },
            WalRecordKind.AgentOutput => (ExecutionEventKind.AgentOutput, SagaState.Running, Name()),
            WalRecordKind.StepFailed => (ExecutionEventKind.StepFailed, SagaState.Running, Name()),
            WalRecordKind.SagaSignalled => (ExecutionEventKind.Signalled, SagaState.Running, Name()),
            WalRecordKind.SagaEnded => Enum.Parse<SagaState>(payload.GetProperty("s").GetString()!) switch
            {
                SagaState.Completed => (ExecutionEventKind.SagaCompleted, SagaState.Completed, null),
                SagaState.Cancelled => (ExecutionEventKind.SagaCancelled, SagaState.Cancelled, null),
                _ => (ExecutionEventKind.SagaFailed, SagaState.Failed, null),
            },
            _ => (ExecutionEventKind.Signalled, SagaState.Running, null),
        };
    }

    [LoggerMessage(10, LogLevel.Debug, "Saga {Saga} suspended: the host is stopping; it resumes after restart")]
    private static partial void LogSuspended(ILogger logger, SagaId saga);

    [LoggerMessage(11, LogLevel.Error, "Saga {Saga} stopped: the write-ahead log refused a record; it resumes after restart from what was recorded")]
    private static partial void LogLogFailed(ILogger logger, Exception exception, SagaId saga);

    [LoggerMessage(12, LogLevel.Error, "Saga {Saga} cannot run ({Definition} v{Version}); it stays unfinished until the cause is fixed")]
    private static partial void LogPoisoned(ILogger logger, Exception exception, SagaId saga, string definition, int version);

    [LoggerMessage(14, LogLevel.Warning, "Write-ahead log checkpoint failed; the log keeps more records until the next one")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(13, LogLevel.Error, "Saga {Saga}: compensation of step {Step} failed")]
    private static partial void LogCompensationFailed(ILogger logger, Exception exception, SagaId saga, string step);
}

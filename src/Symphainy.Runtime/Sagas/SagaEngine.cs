using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Sagas.Internal;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Internal;
using Symphainy.Wal.Records;

namespace Symphainy.Sagas;

/// <summary>
/// The Runtime's <see cref="ISagaEngine"/>: answers queries and control calls from the store of live and ended
/// sagas (and, for sagas ended long ago, from the state graph), and runs the host's lifecycle: one pass of recovery
/// over the log at start, the event publisher, and a stop that suspends rather than fails.
/// </summary>
internal sealed class SagaEngine : ISagaEngine, ISagaLauncher, IHostedService
{
    private readonly IWriteAheadLog _wal;
    private readonly SagaStore _store;
    private readonly SagaExecutor _executor;
    private readonly ExecutionEventPublisher _publisher;
    private readonly IRecoveryParticipant[] _participants;
    private readonly IStateGraph? _graph;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IdleSignal _idle = new();
    private int _state = (int)LauncherState.NotStarted;

    public SagaEngine(
        IWriteAheadLog wal,
        SagaStore store,
        SagaExecutor executor,
        ExecutionEventPublisher publisher,
        IEnumerable<IRecoveryParticipant> participants,
        SagaRecovery sagas,
        TimeProvider time,
        IStateGraph? graph = null)
    {
        _wal = wal;
        _store = store;
        _executor = executor;
        _publisher = publisher;
        _time = time;
        _graph = graph;

        // Sagas resume last, once idempotency keys and sessions are back.
        _participants = [.. participants, sagas];
        _executor.BecameIdle = _idle.Pulse;
        _publisher.Advanced += _idle.Pulse;
    }

    public LauncherState State => (LauncherState)Volatile.Read(ref _state);

    public Task Ready => _ready.Task;

    public void Launch(SagaId saga, TenantId tenant, SessionId? session, IntentId intent, string intentType, SagaDefinition definition, ReadOnlyMemory<byte> input, long position, object? boundInput, IReadOnlyDictionary<string, string>? metadata) =>
        _executor.Accept(new SagaRun(saga, tenant, session, intent, definition, input, position) { BoundInput = boundInput, IntentType = intentType, Metadata = metadata, AcceptedAt = _executor.Time.GetUtcNow() });

    public IReadOnlyList<SagaSnapshot> ListActive(TenantId? tenant = null) => _store.Active(tenant);

    public bool ForgetEnded(TenantId tenant, SagaId saga) => _store.ForgetEnded(tenant, saga);

    public ValueTask<SagaSnapshot?> GetAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default) =>
        _store.Find(tenant, saga) is { } known ? ValueTask.FromResult<SagaSnapshot?>(known) : FromGraphAsync(tenant, saga, cancellationToken);

    public Task<SagaSnapshot> WaitForEndAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken = default)
    {
        if (_store.TryGetActive(tenant, saga, out var run))
        {
            return cancellationToken.CanBeCanceled ? run.Completion.Task.WaitAsync(cancellationToken) : run.Completion.Task;
        }

        return WaitForEndedAsync(tenant, saga, cancellationToken);
    }

    private async Task<SagaSnapshot> WaitForEndedAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken)
    {
        return await GetAsync(tenant, saga, cancellationToken).ConfigureAwait(false) switch
        {
            { IsEnded: true } ended => ended,
            { } unfinished => throw new SymphainyException(ErrorCodes.SagaDefinitionMissing, $"Saga {saga} cannot run on this host: {unfinished.Error?.Message}"),
            null => throw NotFound(saga),
        };
    }

    public async ValueTask<long> SignalAsync(TenantId tenant, SagaId saga, string name, JsonElement value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var run = await RunningAsync(tenant, saga, cancellationToken).ConfigureAwait(false);
        var json = value.ValueKind == JsonValueKind.Undefined ? ReadOnlyMemory<byte>.Empty : JsonSerializer.SerializeToUtf8Bytes(value);
        var position = await AppendControlAsync(run, new SagaSignalledPayload(SignalKind.Signal, name, Value: json)).ConfigureAwait(false);
        run.Deliver(name, json);
        return position;
    }

    public async ValueTask<long> CancelAsync(TenantId tenant, SagaId saga, string reason, CancellationToken cancellationToken = default)
    {
        var run = await RunningAsync(tenant, saga, cancellationToken).ConfigureAwait(false);
        var position = await AppendControlAsync(run, new SagaSignalledPayload(SignalKind.Cancel, Reason: reason)).ConfigureAwait(false);
        run.CancelReason = reason;

        // Synchronously, so a waiting saga is counted busy again before this returns (WhenIdleAsync relies on it).
        run.Cancellation.Cancel();
        _executor.StartIfHeld(run); // one held back by the admission ends now, not when a place frees
        return position;
    }

    public IAsyncEnumerable<ExecutionEvent> WatchAsync(TenantId tenant, SagaId? saga, long fromPosition, CancellationToken cancellationToken = default)
    {
        if (fromPosition < 1)
        {
            throw new SymphainyException(ErrorCodes.EventsInvalidPosition, $"Execution events start at log position 1; {fromPosition} was asked for.");
        }

        return WatchCoreAsync(tenant, saga, fromPosition, cancellationToken);
    }

    public Task WhenIdleAsync(CancellationToken cancellationToken = default) =>
        _idle.WaitAsync(() => State is LauncherState.Open or LauncherState.Stopping && _executor.Busy == 0 && _publisher.CaughtUp, cancellationToken);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, (int)LauncherState.Recovering, (int)LauncherState.NotStarted) != (int)LauncherState.NotStarted)
        {
            return;
        }

        // One pass over the log feeds every participant (idempotency keys, sessions, sagas).
        var readTo = _wal.FirstPosition;
        await foreach (var record in _wal.ReadAsync(_wal.FirstPosition, cancellationToken).ConfigureAwait(false))
        {
            readTo = record.Position + 1;
            foreach (var participant in _participants)
            {
                participant.Observe(record);
            }
        }

        // Events of what recovery appends from here on are published live.
        _publisher.Start(_wal.NextPosition);
        foreach (var participant in _participants)
        {
            await participant.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        // On a shared log: the work queue hands this host its sagas from here on (and those of hosts that died).
        await _executor.JoinAsync(readTo, cancellationToken).ConfigureAwait(false);
        Interlocked.CompareExchange(ref _state, (int)LauncherState.Open, (int)LauncherState.Recovering);
        _ready.TrySetResult();
        _idle.Pulse();
    }

    public async Task<int> DrainAsync(TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        // Intake refuses first, then no step starts; the running ones finish and record.
        Volatile.Write(ref _state, (int)LauncherState.Stopping);
        _executor.BeginDrain();
        try
        {
            await WhenIdleAsync(cancellationToken).WaitAsync(deadline, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        return _executor.Busy;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Intake refuses from here on; running sagas stop at their next step or wait, recording nothing more.
        Volatile.Write(ref _state, (int)LauncherState.Stopping);
        await _executor.StopAsync(cancellationToken).ConfigureAwait(false);
        await _publisher.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<ExecutionEvent> WatchCoreAsync(TenantId tenant, SagaId? saga, long fromPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var record in _wal.SubscribeAsync(Math.Max(fromPosition, _wal.FirstPosition), cancellationToken).ConfigureAwait(false))
        {
            if (record.Tenant == tenant && record.Saga is { } id && (saga is null || saga == id) && ExecutionEventMapping.FromRecord(record) is { } executionEvent)
            {
                yield return executionEvent;
            }
        }
    }

    // A signal or cancellation of a saga that is recording its end is refused: recorded after the end record, it would be
    // acknowledged and then never delivered, and recovery would find records of a saga without its intent.
    private async ValueTask<long> AppendControlAsync(SagaRun run, WalPayload payload)
    {
        if (!run.TryBeginControl())
        {
            throw new SymphainyException(ErrorCodes.SagaAlreadyEnded, $"Saga {run.Id} already ended.");
        }

        try
        {
            return await _wal.AppendAsync(new WalEntry(payload.Kind, run.Tenant, WalPayloadCodec.Encode(payload), run.Session, run.Id, run.Intent)).ConfigureAwait(false);
        }
        finally
        {
            run.EndControl();
        }
    }

    /// <summary>An ended saga no longer in memory, as the state graph recorded it (<see cref="ExecutionGraph"/>).</summary>
    private async ValueTask<SagaSnapshot?> FromGraphAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken)
    {
        if (_graph is null)
        {
            return null;
        }

        var node = await _graph.GetNodeAsync(tenant, ExecutionGraph.SagaNode(saga), cancellationToken).ConfigureAwait(false);
        if (SagaNodeProperties.FromJson(node?.Properties) is not { State: SagaState.Completed or SagaState.Failed or SagaState.Cancelled } properties)
        {
            return null;
        }

        var output = await _graph.GetNodeAsync(tenant, ExecutionGraph.OutputNode(saga), cancellationToken).ConfigureAwait(false);
        var error = properties.Code is { } code ? new SagaError(code, properties.ErrorKind ?? ErrorKind.Domain, properties.Message ?? "", properties.Step) : null;
        ReadOnlyMemory<byte>? outputJson = output?.Properties is { } o && o.TryGetProperty("value", out var value) ? JsonSerializer.SerializeToUtf8Bytes(value) : (ReadOnlyMemory<byte>?)null;
        return new SagaSnapshot(saga, tenant, default, properties.Definition, properties.Version, properties.State, 0, null, outputJson, error);
    }

    private async ValueTask<SagaRun> RunningAsync(TenantId tenant, SagaId saga, CancellationToken cancellationToken)
    {
        if (_store.TryGetActive(tenant, saga, out var run))
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
}

using Symphainy.Wal;
using System.Text.Json;
using Symphainy.Wal.Records;

namespace Symphainy.Sagas.Internal;

/// <summary>
/// One saga's live state and, when it resumes after a restart, the history it replays. It is also the promise of
/// the saga's end (one object per saga instead of two).
/// </summary>
internal sealed class SagaRun : TaskCompletionSource<SagaSnapshot>
{
    // Signals and history exist only for sagas that need them: most never wait for a signal, replay, fail or
    // compensate, and a saga is allocated per intent.
    private Inbox? _inbox;
    private History? _history;
    private CancellationTokenSource? _cancellation;

    public SagaRun(SagaId id, TenantId tenant, SessionId? session, IntentId intent, SagaDefinition definition, ReadOnlyMemory<byte> input, long firstPosition)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Id = id;
        Tenant = tenant;
        Session = session;
        Intent = intent;
        Definition = definition;
        Input = input;
        FirstPosition = firstPosition;
    }

    public SagaId Id { get; }

    public TenantId Tenant { get; }

    public SessionId? Session { get; }

    public IntentId Intent { get; }

    public SagaDefinition Definition { get; }

    /// <summary>The intent's payload, UTF-8 JSON.</summary>
    public ReadOnlyMemory<byte> Input { get; }

    /// <summary>On a shared log: the lease this host holds on the saga, which fences its records.</summary>
    public Symphainy.State.Lease? Fence { get; set; }

    /// <summary>The input as intake bound it, for the first run only (a resumed saga reads <see cref="Input"/>).</summary>
    public object? BoundInput { get; set; }

    /// <summary>The W3C trace context recorded with the saga's intent, if any: its spans continue that trace.</summary>
    public string? TraceParent => Metadata?.GetValueOrDefault(Diagnostics.SymphainyDiagnostics.TraceParentKey);

    /// <summary>The type of the intent that started the saga.</summary>
    public string IntentType { get; init; } = "";

    /// <summary>What was recorded with the intent: the caller's metadata, the trace context, policies' annotations.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>On a shared log, the work queue's entry of a saga handed to this host (null for one it accepted).</summary>
    public SagaWork? Work { get; set; }

    /// <summary>Its admission while it holds one (only when a saga admission is registered).</summary>
    public SagaTicket? Ticket { get; set; }

    /// <summary>Position of the saga's first record (its intent), which retention must keep while it runs.</summary>
    public long FirstPosition { get; }

    /// <summary>Where the saga store's heap of live sagas by <see cref="FirstPosition"/> holds this run; -1 outside it.</summary>
    public int StoreHeapIndex { get; set; } = -1;

    public SagaState State { get; set; } = SagaState.Pending;

    public bool StartRecorded { get; set; }

    /// <summary>Whether the record that compensation began is in the log.</summary>
    public bool CompensationRecorded { get; set; }

    public int CompletedSteps { get; set; }

    public string? CurrentStep { get; set; }

    /// <summary>The output, UTF-8 JSON, once completed.</summary>
    public ReadOnlyMemory<byte>? Output { get; set; }

    public SagaError? Error { get; set; }

    /// <summary>Recorded step completions by index, for replay.</summary>
    public Dictionary<int, StepCompletedPayload> Recorded => Past.Recorded;

    /// <summary>Whether anything was recorded for replay.</summary>
    public bool HasRecorded => _history is { RecordedCount: > 0 };

    /// <summary>Recorded failed attempts by step index, for replay.</summary>
    public Dictionary<int, (int Attempts, SagaError? Final)> Failures => Past.Failures;

    public bool HasFailures => _history is { FailureCount: > 0 };

    public HashSet<int> TimersFired => Past.TimersFired;

    public HashSet<int> TimedOut => Past.TimedOut;

    public HashSet<int> Compensated => Past.Compensated;

    public List<(int Index, string Name, Func<Task> Compensate)> Compensations => Past.Compensations;

    public bool HasCompensations => _history is { CompensationCount: > 0 };

    private History Past => _history ??= new History();

    public int NextIndex { get; set; }

    // Signals and cancellations being recorded (low bits) and whether the saga records its end (the high bit): a control
    // record is written either wholly before the end record or not at all, never after it.
    private const int Ending = 1 << 30;
    private int _control;
    private TaskCompletionSource? _controlWritten;

    /// <summary>
    /// Starts recording a signal or a cancellation of this saga; false once the saga records its end (it takes no more).
    /// Every true must be followed by <see cref="EndControl"/> once the record is written or failed.
    /// </summary>
    public bool TryBeginControl()
    {
        while (true)
        {
            var state = Volatile.Read(ref _control);
            if ((state & Ending) != 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _control, state + 1, state) == state)
            {
                return true;
            }
        }
    }

    public void EndControl()
    {
        if (Interlocked.Decrement(ref _control) == Ending)
        {
            Volatile.Read(ref _controlWritten)?.TrySetResult();
        }
    }

    /// <summary>
    /// The saga is about to record its end: no signal or cancellation starts from now on, and the returned task
    /// completes once those already being recorded are written (or failed), so none lands after the end.
    /// </summary>
    public Task BeginEndingAsync()
    {
        if ((Interlocked.Or(ref _control, Ending) & ~Ending) == 0)
        {
            return System.Threading.Tasks.Task.CompletedTask;
        }

        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _controlWritten, written);
        return Volatile.Read(ref _control) == Ending ? System.Threading.Tasks.Task.CompletedTask : written.Task;
    }

    /// <summary>The end record was not written: signals and cancellations are taken again.</summary>
    public void EndingFailed() => Interlocked.And(ref _control, ~Ending);

    /// <summary>Cancelled when the saga is cancelled (not when the host stops).</summary>
    public CancellationTokenSource Cancellation => LazyInitializer.EnsureInitialized(ref _cancellation);

    public bool HasCancellation => _cancellation is not null;

    public string? CancelReason { get; set; }

    /// <summary>Completes with the ended saga's snapshot.</summary>
    public TaskCompletionSource<SagaSnapshot> Completion => this;

    public bool IsEnded => State is SagaState.Completed or SagaState.Failed or SagaState.Cancelled;

    public SagaSnapshot Snapshot() => new(Id, Tenant, Intent, Definition.Name, Definition.Version, State, CompletedSteps, CurrentStep, Output, Error) { LastProgressAt = LastProgress == default ? null : LastProgress };

    /// <summary>When its intent was accepted (the intent record's time; the engine's clock for a saga launched at intake).</summary>
    public DateTimeOffset AcceptedAt { get; init; }

    /// <summary>When this host last saw the saga make progress (scheduled here, or recorded anything).</summary>
    public DateTimeOffset LastProgress { get; set; }

    /// <summary>The run of the saga an intent record starts.</summary>
    public static SagaRun FromIntent(WalRecord intent, IntentReceivedPayload received, SagaDefinition definition) =>
        new(intent.Saga!.Value, intent.Tenant, intent.Session, intent.Intent!.Value, definition, received.Input, intent.Position) { IntentType = received.IntentType, Metadata = received.Metadata, AcceptedAt = intent.Timestamp };

    /// <summary>A run of the same saga with none of its history applied (to be rebuilt from the log), keeping its work item.</summary>
    public SagaRun Afresh() => new(Id, Tenant, Session, Intent, Definition, Input, FirstPosition) { Work = Work, IntentType = IntentType, Metadata = Metadata, AcceptedAt = AcceptedAt };

    /// <summary>Whether a record is a completed step of the kind <see cref="CompletedSteps"/> counts (a step or an agent's output).</summary>
    public static bool IsCompletedStep(WalRecord record) =>
        record.Kind is WalRecordKind.StepCompleted or WalRecordKind.AgentOutput && CountsAsStep(WalPayloadCodec.Decode(record));

    private static bool CountsAsStep(WalPayload payload) => payload is StepCompletedPayload { StepKind: StepKind.Step or StepKind.Agent };

    /// <summary>Applies one recorded transition of this saga's history, before it resumes.</summary>
    public void Apply(WalPayload payload)
    {
        switch (payload)
        {
            case SagaStartedPayload:
                StartRecorded = true;
                break;
            case StepCompletedPayload { StepKind: StepKind.Compensation } compensation:
                Compensated.Add(compensation.Index);
                break;
            case StepCompletedPayload step:
                Recorded[step.Index] = step;
                CompletedSteps += CountsAsStep(step) ? 1 : 0;
                break;
            case StepFailedPayload { StepKind: StepKind.Compensation }:
                break; // a failed compensation is followed by its completion record
            case StepFailedPayload failed:
                Failures[failed.Index] = (failed.Attempt, failed.Final ? failed.Error with { Step = failed.Name } : null);
                break;
            case SagaSignalledPayload { SignalKind: SignalKind.Signal } signal:
                Deliver(signal.Name!, signal.Value ?? ReadOnlyMemory<byte>.Empty);
                break;
            case SagaSignalledPayload { SignalKind: SignalKind.TimerFired, Index: { } timer }:
                TimersFired.Add(timer);
                break;
            case SagaSignalledPayload { SignalKind: SignalKind.TimedOut, Index: { } wait }:
                TimedOut.Add(wait);
                break;
            case SagaSignalledPayload { SignalKind: SignalKind.Cancel } cancel:
                CancelReason = cancel.Reason ?? "cancelled";
                break;
            case SagaCompensatingPayload:
                CompensationRecorded = true;
                break;
        }
    }

    public void Deliver(string name, ReadOnlyMemory<byte> value)
    {
        TaskCompletionSource? wake;
        var inbox = Signals;
        lock (inbox)
        {
            if (!inbox.Queues.TryGetValue(name, out var queue))
            {
                inbox.Queues[name] = queue = new Queue<ReadOnlyMemory<byte>>();
            }

            queue.Enqueue(value);
            wake = inbox.Arrived;
            inbox.Arrived = null;
        }

        wake?.TrySetResult();
    }

    /// <summary>Takes the oldest signal of that name, or returns a task that completes when any signal arrives.</summary>
    public bool TryTake(string name, out ReadOnlyMemory<byte> value, out Task arrived)
    {
        var inbox = Signals;
        lock (inbox)
        {
            if (inbox.Queues.TryGetValue(name, out var queue) && queue.TryDequeue(out value))
            {
                arrived = System.Threading.Tasks.Task.CompletedTask;
                return true;
            }

            // Continuations run inline on the signaller's thread: the saga's wait ends (and counts busy again) before
            // the signal call returns; the saga itself continues on its own scheduler.
            inbox.Arrived ??= new TaskCompletionSource();
            arrived = inbox.Arrived.Task;
            value = default;
            return false;
        }
    }

    private Inbox Signals
    {
        get
        {
            if (Volatile.Read(ref _inbox) is { } inbox)
            {
                return inbox;
            }

            Interlocked.CompareExchange(ref _inbox, new Inbox(), null);
            return _inbox;
        }
    }

    /// <summary>A recorded JSON value as an element (an absent value is JSON null).</summary>
    public static JsonElement ToElement(ReadOnlyMemory<byte> json)
    {
        if (json.IsEmpty)
        {
            return default;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>Signals that arrived and not yet taken, by name; the object is also the lock.</summary>
    private sealed class Inbox
    {
        public Dictionary<string, Queue<ReadOnlyMemory<byte>>> Queues { get; } = new(StringComparer.Ordinal);

        public TaskCompletionSource? Arrived { get; set; }
    }

    /// <summary>What replay and compensation need, each part made when first needed.</summary>
    private sealed class History
    {
        private Dictionary<int, StepCompletedPayload>? _recorded;
        private Dictionary<int, (int Attempts, SagaError? Final)>? _failures;
        private HashSet<int>? _timersFired;
        private HashSet<int>? _timedOut;
        private HashSet<int>? _compensated;
        private List<(int Index, string Name, Func<Task> Compensate)>? _compensations;

        public Dictionary<int, StepCompletedPayload> Recorded => _recorded ??= [];

        public int RecordedCount => _recorded?.Count ?? 0;

        public Dictionary<int, (int Attempts, SagaError? Final)> Failures => _failures ??= [];

        public int FailureCount => _failures?.Count ?? 0;

        public HashSet<int> TimersFired => _timersFired ??= [];

        public HashSet<int> TimedOut => _timedOut ??= [];

        public HashSet<int> Compensated => _compensated ??= [];

        public List<(int Index, string Name, Func<Task> Compensate)> Compensations => _compensations ??= [];

        public int CompensationCount => _compensations?.Count ?? 0;
    }
}

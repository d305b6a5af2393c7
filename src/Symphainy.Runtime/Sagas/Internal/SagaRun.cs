using System.Text.Json;

namespace Symphainy.Sagas.Internal;

/// <summary>One saga's live state and, when it resumes after a restart, the history it replays.</summary>
internal sealed class SagaRun
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<JsonElement>> _inbox = new(StringComparer.Ordinal);
    private TaskCompletionSource? _signalArrived;

    public SagaRun(SagaId id, TenantId tenant, SessionId? session, IntentId intent, SagaDefinition definition, JsonElement input)
    {
        Id = id;
        Tenant = tenant;
        Session = session;
        Intent = intent;
        Definition = definition;
        Input = input;
    }

    public SagaId Id { get; }

    public TenantId Tenant { get; }

    public SessionId? Session { get; }

    public IntentId Intent { get; }

    public SagaDefinition Definition { get; }

    public JsonElement Input { get; }

    public SagaState State { get; set; } = SagaState.Pending;

    public bool StartRecorded { get; set; }

    /// <summary>Position of the saga's first record (its intent), which retention must keep while it runs.</summary>
    public long FirstPosition { get; set; }

    public int CompletedSteps { get; set; }

    public string? CurrentStep { get; set; }

    public JsonElement? Output { get; set; }

    public SagaError? Error { get; set; }

    // The history collections exist only for sagas that need them (most never replay, fail or compensate).
    private Dictionary<int, JsonElement>? _recorded;
    private Dictionary<int, (int Attempts, SagaError? Final)>? _failures;
    private HashSet<int>? _timersFired;
    private HashSet<int>? _timedOut;
    private HashSet<int>? _compensated;
    private List<(int Index, string Name, Func<Task> Compensate)>? _compensations;

    /// <summary>Recorded step completions by index, for replay.</summary>
    public Dictionary<int, JsonElement> Recorded => _recorded ??= [];

    /// <summary>Whether anything was recorded for replay.</summary>
    public bool HasRecorded => _recorded is { Count: > 0 };

    /// <summary>Recorded failed attempts by step index, for replay.</summary>
    public Dictionary<int, (int Attempts, SagaError? Final)> Failures => _failures ??= [];

    public bool HasFailures => _failures is { Count: > 0 };

    public HashSet<int> TimersFired => _timersFired ??= [];

    public HashSet<int> TimedOut => _timedOut ??= [];

    public HashSet<int> Compensated => _compensated ??= [];

    public List<(int Index, string Name, Func<Task> Compensate)> Compensations => _compensations ??= [];

    public bool HasCompensations => _compensations is { Count: > 0 };

    public int NextIndex { get; set; }

    private CancellationTokenSource? _cancellation;

    public CancellationTokenSource Cancellation => LazyInitializer.EnsureInitialized(ref _cancellation);

    public string? CancelReason { get; set; }

    public TaskCompletionSource<SagaSnapshot> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsEnded => State is SagaState.Completed or SagaState.Failed or SagaState.Cancelled;

    public SagaSnapshot Snapshot() => new(Id, Tenant, Intent, Definition.Name, Definition.Version, State, CompletedSteps, CurrentStep, Output, Error);

    public void Deliver(string name, JsonElement value)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (!_inbox.TryGetValue(name, out var queue))
            {
                _inbox[name] = queue = new Queue<JsonElement>();
            }

            queue.Enqueue(value);
            wake = _signalArrived;
            _signalArrived = null;
        }

        wake?.TrySetResult();
    }

    /// <summary>Takes the oldest signal of that name, or returns a task that completes when any signal arrives.</summary>
    public bool TryTake(string name, out JsonElement value, out Task arrived)
    {
        lock (_gate)
        {
            if (_inbox.TryGetValue(name, out var queue) && queue.TryDequeue(out value))
            {
                arrived = Task.CompletedTask;
                return true;
            }

            _signalArrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            arrived = _signalArrived.Task;
            value = default;
            return false;
        }
    }
}

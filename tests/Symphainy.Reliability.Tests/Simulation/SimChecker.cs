using System.Text.Json;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Reliability.Tests.Simulation;

/// <summary>
/// The invariants, checked as the simulation goes (every durable record, every answer a caller gets, every event
/// published) and at its end. It keeps its own copy of every record that ever became durable, so a checkpoint that
/// removes records from the log does not hide them from it. Violations are collected, never thrown, so a seed reports
/// all it found.
/// </summary>
internal sealed class SimChecker
{
    private readonly Action<string> _violation;
    private readonly Dictionary<long, WalRecord> _durable = [];
    private readonly Dictionary<SagaId, SagaHistory> _sagas = [];
    private readonly Dictionary<(TenantId, string), SagaId> _keys = [];
    private readonly Dictionary<(SagaId, int), int> _stepRuns = [];
    private readonly Dictionary<(SagaId, int), int> _compensationRuns = [];
    private long _next = 1;

    public SimChecker(Action<string> violation) => _violation = violation;

    public IReadOnlyDictionary<SagaId, SagaHistory> Sagas => _sagas;

    public long DurableRecords => _next - 1;

    public long EventsChecked { get; private set; }

    public long AnswersChecked { get; private set; }

    /// <summary>A record became durable (acknowledged or not): positions without gaps, each saga's records in a legal order.</summary>
    public void OnDurable(WalRecord record)
    {
        if (record.Position != _next)
        {
            _violation($"log: record at position {record.Position} became durable where {_next} was next (gap or overwrite)");
        }

        _next = record.Position + 1;
        _durable[record.Position] = record;
        WalPayload payload;
        try
        {
            payload = WalPayloadCodec.Decode(record);
        }
        catch (SymphainyException e)
        {
            _violation($"log: record {record.Position} does not decode: {e.Message}");
            return;
        }

        if (record.Saga is not { } saga)
        {
            return;
        }

        if (payload is IntentReceivedPayload intent)
        {
            if (_sagas.ContainsKey(saga))
            {
                _violation($"log: saga {saga} has a second intent record at {record.Position}");
                return;
            }

            var history = new SagaHistory(record, intent, JsonSerializer.Deserialize<FlowInput>(intent.Input.Span, Json)!);
            _sagas[saga] = history;
            if (intent.IdempotencyKey is { } key)
            {
                if (_keys.TryGetValue((record.Tenant, key), out var first))
                {
                    _violation($"idempotency: key '{key}' of tenant {record.Tenant} recorded twice (sagas {first} and {saga})");
                }
                else
                {
                    _keys[(record.Tenant, key)] = saga;
                }
            }

            return;
        }

        if (!_sagas.TryGetValue(saga, out var known))
        {
            _violation($"log: saga {saga} has a {record.Kind} record at {record.Position} before (or without) its intent");
            return;
        }

        if (known.Tenant != record.Tenant)
        {
            _violation($"tenancy: saga {saga} of tenant {known.Tenant} has a record of tenant {record.Tenant} at {record.Position}");
        }

        if (known.End is not null)
        {
            _violation($"log: saga {saga} has a {record.Kind} record at {record.Position} after its end");
        }

        known.Records.Add(record);
        switch (payload)
        {
            case SagaStartedPayload when known.Started:
                _violation($"log: saga {saga} started twice (again at {record.Position})");
                break;
            case SagaStartedPayload:
                known.Started = true;
                break;
            case StepCompletedPayload { StepKind: StepKind.Compensation } compensation:
                if (!known.Compensated.Add(compensation.Index))
                {
                    _violation($"log: compensation of step {compensation.Index} of saga {saga} recorded twice");
                }

                break;
            case StepCompletedPayload step:
                if (!known.Steps.TryAdd(step.Index, step))
                {
                    _violation($"log: step {step.Index} ('{step.Name}') of saga {saga} recorded twice (again at {record.Position})");
                }

                if (step.StepKind == StepKind.Step && step.Name.StartsWith("step-", StringComparison.Ordinal))
                {
                    var index = int.Parse(step.Name.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);
                    var expected = SimWork.ValueOf(saga, index);
                    var value = step.Result is { } result ? JsonSerializer.Deserialize<StepValue>(result.Span, Json) : null;
                    if (value?.Value != expected)
                    {
                        _violation($"log: step {index} of saga {saga} recorded {value?.Value.ToString() ?? "nothing"}, but the step only ever produces {expected}");
                    }

                    if (_stepRuns.GetValueOrDefault((saga, index)) == 0)
                    {
                        _violation($"log: step {index} of saga {saga} is recorded as completed, but its code never ran");
                    }
                }

                break;
            case SagaSignalledPayload { SignalKind: SignalKind.Signal, Name: "go" } signal when known.FirstSignal is null:
                known.FirstSignal = signal.Value is { Length: > 0 } v ? JsonSerializer.Deserialize<long>(v.Span) : 0;
                break;
            case SagaCompensatingPayload:
                known.Compensating = true;
                break;
            case SagaEndedPayload ended:
                known.End = ended;
                break;
        }
    }

    public void OnStepRun(SagaId saga, int index) => _stepRuns[(saga, index)] = _stepRuns.GetValueOrDefault((saga, index)) + 1;

    public void OnCompensationRun(SagaId saga, int index) => _compensationRuns[(saga, index)] = _compensationRuns.GetValueOrDefault((saga, index)) + 1;

    /// <summary>An intent was acknowledged: its record is durable now, and a duplicate names the first intent of its key.</summary>
    public void OnAcknowledged(int caller, Intent intent, IntentAcceptance acceptance)
    {
        AnswersChecked++;
        if (!_sagas.TryGetValue(acceptance.Execution, out var saga))
        {
            _violation($"acknowledgement: caller {caller} was acknowledged saga {acceptance.Execution} at position {acceptance.Position}{(acceptance.Duplicate ? " (duplicate)" : "")}, but no intent record of it is durable");
            return;
        }

        if (saga.Tenant != intent.Tenant)
        {
            _violation($"tenancy: caller {caller} of tenant {intent.Tenant} was acknowledged saga {acceptance.Execution} of tenant {saga.Tenant}");
        }

        if (saga.Intent.Position != acceptance.Position)
        {
            _violation($"acknowledgement: caller {caller} was told position {acceptance.Position} for saga {acceptance.Execution}, whose intent record is at {saga.Intent.Position}");
        }

        if (!acceptance.Duplicate && saga.Intent.Intent != acceptance.Intent)
        {
            _violation($"acknowledgement: caller {caller} was acknowledged intent {acceptance.Intent}, the log recorded {saga.Intent.Intent}");
        }

        if (acceptance.Duplicate && saga.Payload.IdempotencyKey != intent.IdempotencyKey?.Trim())
        {
            _violation($"idempotency: caller {caller} with key '{intent.IdempotencyKey}' was answered with saga {acceptance.Execution} of key '{saga.Payload.IdempotencyKey}'");
        }

        saga.Acknowledged = true;
    }

    /// <summary>An event the Runtime published is the mapping of the durable record at its position.</summary>
    public void OnPublished(ExecutionEvent published)
    {
        EventsChecked++;
        if (!_durable.TryGetValue(published.Position, out var record))
        {
            _violation($"events: an event was published for position {published.Position}, which is not durable");
            return;
        }

        var expected = ExecutionEventMapping.FromRecord(record);
        if (expected != published)
        {
            _violation($"events: published {published}, but the log's record at {published.Position} maps to {expected?.ToString() ?? "no event"}");
        }
    }

    /// <summary>At the end, after a clean recovery: every recorded intent ran to one end, and what it ended with agrees with the log.</summary>
    public void CheckEnd(int maxRecordBytes, Func<SagaHistory, SagaSnapshot?> snapshot)
    {
        foreach (var (id, saga) in _sagas)
        {
            if (saga.End is not { } end)
            {
                var now = snapshot(saga);
                _violation($"liveness: saga {id}{(saga.Acknowledged ? " (acknowledged)" : " (recorded, not acknowledged)")} never ended; the engine says {now?.ToString() ?? "nothing"}");
                continue;
            }

            var seen = snapshot(saga);
            if (seen is null || seen.State != end.State)
            {
                _violation($"query: saga {id} ended {end.State} in the log, the engine says {seen?.ToString() ?? "nothing"}");
            }

            if (end.State == SagaState.Completed)
            {
                if (saga.Input.BigBytes > maxRecordBytes)
                {
                    _violation($"limits: saga {id} completed although its last step's result ({saga.Input.BigBytes} bytes) cannot be recorded");
                }

                long expected = 0;
                for (var i = 0; i < saga.Input.Steps; i++)
                {
                    expected += SimWork.ValueOf(id, i);
                }

                expected += saga.Input.Wait ? saga.FirstSignal ?? 0 : 0;
                expected += saga.Input.BigBytes;
                var output = end.Output is { } o ? JsonSerializer.Deserialize<FlowOutput>(o.Span, Json) : null;
                if (output?.Sum != expected)
                {
                    _violation($"replay: saga {id} completed with sum {output?.Sum.ToString() ?? "nothing"}, its recorded steps and signal add up to {expected}");
                }
            }

            var completed = saga.Steps.Values.Where(s => s.StepKind == StepKind.Step).Select(s => s.Index).ToHashSet();
            if (end.State is SagaState.Failed or SagaState.Cancelled && saga.Input.Compensate && completed.Count > 0)
            {
                if (!saga.Compensating || !completed.SetEquals(saga.Compensated))
                {
                    _violation($"compensation: saga {id} ended {end.State} having completed steps [{string.Join(",", completed.Order())}] but compensated [{string.Join(",", saga.Compensated.Order())}]");
                }
            }
        }
    }

    /// <summary>Whether every saga the log has an intent of has ended in the log.</summary>
    public bool AllEnded => _sagas.Values.All(s => s.End is not null);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>What the log holds of one saga, as the checker saw it become durable.</summary>
internal sealed class SagaHistory(WalRecord intent, IntentReceivedPayload payload, FlowInput input)
{
    public WalRecord Intent { get; } = intent;

    public IntentReceivedPayload Payload { get; } = payload;

    public FlowInput Input { get; } = input;

    public TenantId Tenant => Intent.Tenant;

    public SagaId Id => Intent.Saga!.Value;

    public List<WalRecord> Records { get; } = [];

    public Dictionary<int, StepCompletedPayload> Steps { get; } = [];

    public HashSet<int> Compensated { get; } = [];

    public bool Started { get; set; }

    public bool Compensating { get; set; }

    public long? FirstSignal { get; set; }

    public SagaEndedPayload? End { get; set; }

    public bool Acknowledged { get; set; }
}

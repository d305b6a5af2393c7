using System.Text.Json;
using Symphainy.Events;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Testing;

/// <summary>A step the log recorded as completed (or, for a timer or a signal wait, as started).</summary>
/// <param name="Index">Its index in call order, from 0.</param>
/// <param name="Name">Its name.</param>
/// <param name="Kind">What kind of step.</param>
/// <param name="Result">Its result as recorded (UTF-8 JSON), if it has one.</param>
/// <param name="Position">The log position of its record.</param>
public sealed record RecordedStep(int Index, string Name, StepKind Kind, ReadOnlyMemory<byte>? Result, long Position)
{
    /// <summary>The recorded result deserialized as <typeparamref name="T"/> (web naming, as the platform records it).</summary>
    /// <typeparam name="T">The step's result type.</typeparam>
    /// <returns>The result, or default when the step recorded none.</returns>
    public T? ResultAs<T>() => Result is { } json ? JsonSerializer.Deserialize<T>(json.Span, ExecutionHistory.Json) : default;

    /// <inheritdoc/>
    public override string ToString() => $"{Index} {Describe(Kind)} '{Name}'";

    internal static string Describe(StepKind kind) => kind switch
    {
        StepKind.Step => "step",
        StepKind.Agent => "agent",
        StepKind.Timer => "timer",
        StepKind.Wait => "signal wait",
        StepKind.Compensation => "compensation",
        _ => kind.ToString(),
    };
}

/// <summary>Everything the write-ahead log recorded about one execution, decoded, in log order.</summary>
public sealed class ExecutionHistory
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>Decodes an execution's records.</summary>
    /// <param name="records">The execution's records, in log order.</param>
    public ExecutionHistory(IReadOnlyList<WalRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        Records = records;
        Entries = [.. records.Select(r => (r, WalPayloadCodec.Decode(r)))];
        Steps = [.. Entries
            .Where(e => e.Payload is StepCompletedPayload { StepKind: not StepKind.Compensation })
            .Select(e => (e.Record, Step: (StepCompletedPayload)e.Payload))
            .OrderBy(s => s.Step.Index)
            .Select(s => new RecordedStep(s.Step.Index, s.Step.Name, s.Step.StepKind, s.Step.Result, s.Record.Position))];
        Failures = [.. Entries.Select(e => e.Payload).OfType<StepFailedPayload>()];
        Compensations = [.. Entries
            .Where(e => e.Payload is StepCompletedPayload { StepKind: StepKind.Compensation })
            .Select(e => (StepCompletedPayload)e.Payload)
            .Select(c => new RecordedStep(c.Index, c.Name, c.StepKind, c.Result, 0))];
        Signals = [.. Entries.Select(e => e.Payload).OfType<SagaSignalledPayload>()];
        End = Entries.Select(e => e.Payload).OfType<SagaEndedPayload>().LastOrDefault();
        Events = [.. records.Select(ExecutionEventMapping.FromRecord).OfType<ExecutionEvent>()];
    }

    /// <summary>The raw records.</summary>
    public IReadOnlyList<WalRecord> Records { get; }

    /// <summary>Each record with its decoded payload.</summary>
    public IReadOnlyList<(WalRecord Record, WalPayload Payload)> Entries { get; }

    /// <summary>The steps recorded as completed (services, agents, timers and signal waits started), by index.</summary>
    public IReadOnlyList<RecordedStep> Steps { get; }

    /// <summary>Every failed attempt recorded, in order (a retried attempt has <c>Final = false</c>).</summary>
    public IReadOnlyList<StepFailedPayload> Failures { get; }

    /// <summary>The compensations recorded, in the order they ran.</summary>
    public IReadOnlyList<RecordedStep> Compensations { get; }

    /// <summary>Signals, timers firing, timeouts and cancellations recorded, in order.</summary>
    public IReadOnlyList<SagaSignalledPayload> Signals { get; }

    /// <summary>The end, once recorded.</summary>
    public SagaEndedPayload? End { get; }

    /// <summary>The execution events the records stand for (the one mapping the live bus and a watch use).</summary>
    public IReadOnlyList<ExecutionEvent> Events { get; }

    /// <summary>The last step recorded as completed, if any.</summary>
    public RecordedStep? LastStep => Steps.Count == 0 ? null : Steps[^1];

    /// <summary>The recorded output of agent step <paramref name="step"/>, deserialized.</summary>
    /// <typeparam name="TArtifact">The agent's artifact type (<c>AgentArtifact&lt;T&gt;</c> for an agent of the Agents plane).</typeparam>
    /// <param name="step">The agent step's name.</param>
    /// <returns>The artifact, or default when no agent output of that name was recorded.</returns>
    public TArtifact? AgentOutput<TArtifact>(string step) =>
        Steps.FirstOrDefault(s => s.Kind == StepKind.Agent && s.Name == step) is { } recorded ? recorded.ResultAs<TArtifact>() : default;

    /// <summary>One line per record, for failure messages.</summary>
    /// <returns>The description.</returns>
    public string Describe() => Entries.Count == 0
        ? "(no records)"
        : string.Join(Environment.NewLine, Entries.Select(e => $"  #{e.Record.Position} {DescribePayload(e.Payload)}"));

    private static string DescribePayload(WalPayload payload) => payload switch
    {
        IntentReceivedPayload i => $"IntentReceived {i.IntentType} ({i.Definition} v{i.Version})",
        SagaStartedPayload => "SagaStarted",
        StepCompletedPayload s => $"{(s.StepKind == StepKind.Agent ? "AgentOutput" : "StepCompleted")} {s.Index} {RecordedStep.Describe(s.StepKind)} '{s.Name}'",
        StepFailedPayload f => $"StepFailed {f.Index} '{f.Name}' attempt {f.Attempt}{(f.Final ? " (final)" : "")}: {f.Error.Code}: {f.Error.Message}",
        SagaSignalledPayload g => $"SagaSignalled {g.SignalKind}{(g.Name is null ? "" : $" '{g.Name}'")}",
        SagaCompensatingPayload c => $"SagaCompensating ({c.Cause.Code})",
        SagaEndedPayload e => $"SagaEnded {e.State}{(e.Error is { } error ? $" ({error.Code}: {error.Message})" : "")}",
        _ => payload.Kind.ToString(),
    };
}

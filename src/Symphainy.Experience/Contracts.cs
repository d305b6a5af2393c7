using System.Text.Json;
using System.Text.Json.Serialization;
using Symphainy.Events;
using Symphainy.Sagas;

namespace Symphainy.Experience;

// The shapes of docs/http-api.md, as they go over the wire (camelCase, enums as strings, typed ids as strings).

internal sealed record SessionRequest(double? TtlSeconds, IReadOnlyDictionary<string, string>? Attributes);

internal sealed record SessionBody(SessionId Id, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, bool Ended)
{
    public static SessionBody From(Sessions.Session session) => new(session.Id, session.CreatedAt, session.ExpiresAt, session.IsEnded);
}

internal sealed record IntentRequest(string Type, JsonElement Payload, int? Version, SessionId? Session, IReadOnlyDictionary<string, string>? Metadata);

internal sealed record AcceptanceBody(IntentId Intent, SagaId Execution, long Position, bool Duplicate);

internal sealed record ExecutionErrorBody(string Code, ErrorKind Kind, string Message, string? Step);

internal sealed record ExecutionBody(SagaId Id, string Definition, int Version, SagaState State, int CompletedSteps, string? CurrentStep, JsonElement? Output, ExecutionErrorBody? Error)
{
    public static ExecutionBody From(SagaSnapshot snapshot) => new(
        snapshot.Id, snapshot.Definition, snapshot.Version, snapshot.State, snapshot.CompletedSteps, snapshot.CurrentStep, snapshot.Output,
        snapshot.Error is { } e ? new ExecutionErrorBody(e.Code, e.Kind, e.Message, e.Step) : null);
}

internal sealed record ExecutionEventBody(long Position, ExecutionEventKind Kind, SagaId Execution, SagaState State, string? Step, DateTimeOffset Timestamp)
{
    public static ExecutionEventBody From(ExecutionEvent e) => new(e.Position, e.Kind, e.Saga, e.State, e.Step, e.Timestamp);
}

internal sealed record ArtifactBody(long Position, SagaId Execution, string Step, int Index, DateTimeOffset Timestamp, JsonElement? Content);

internal sealed record SignalRequest(JsonElement Value);

internal sealed record CancelRequest(string? Reason);

internal sealed record PositionBody(long Position);

internal sealed record CapabilityBody(string Name, int Version, string Realm, string Description, JsonElement? InputSchema);

internal sealed record ProblemBody(string Type, string Title, int Status, string Detail, string Code, bool Retryable, double? RetryAfterSeconds);

internal sealed record EventMessage(ExecutionEventBody Event, string Type = "event");

internal sealed record HeartbeatMessage(long Position, string Type = "heartbeat");

internal sealed record ErrorMessage(string Code, string Detail, string Type = "error");

internal static class Wire
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

using System.Text.Json;
using Symphainy.Internal;

namespace Symphainy.Sagas;

/// <summary>A saga as the engine knows it at one moment.</summary>
public sealed class SagaSnapshot
{
    /// <summary>Creates a snapshot.</summary>
    /// <param name="id">The saga id (the execution id an intent's submitter got).</param>
    /// <param name="tenant">Its tenant.</param>
    /// <param name="intent">The intent that started it.</param>
    /// <param name="definition">Its definition's name.</param>
    /// <param name="version">The definition version it runs (pinned at start).</param>
    /// <param name="state">Where it is.</param>
    /// <param name="completedSteps">How many steps completed.</param>
    /// <param name="currentStep">The step it runs or waits in, if any.</param>
    /// <param name="outputJson">Its output as UTF-8 JSON, once completed.</param>
    /// <param name="error">Why it failed or was cancelled, or why it cannot run.</param>
    public SagaSnapshot(SagaId id, TenantId tenant, IntentId intent, string definition, int version, SagaState state, int completedSteps, string? currentStep, ReadOnlyMemory<byte>? outputJson, SagaError? error)
    {
        Id = id;
        Tenant = tenant;
        Intent = intent;
        Definition = definition;
        Version = version;
        State = state;
        CompletedSteps = completedSteps;
        CurrentStep = currentStep;
        OutputJson = outputJson;
        Error = error;
    }

    /// <summary>The saga id (the execution id an intent's submitter got).</summary>
    public SagaId Id { get; }

    /// <summary>Its tenant.</summary>
    public TenantId Tenant { get; }

    /// <summary>The intent that started it.</summary>
    public IntentId Intent { get; }

    /// <summary>Its definition's name.</summary>
    public string Definition { get; }

    /// <summary>The definition version it runs (pinned at start).</summary>
    public int Version { get; }

    /// <summary>Where it is.</summary>
    public SagaState State { get; }

    /// <summary>How many steps completed.</summary>
    public int CompletedSteps { get; }

    /// <summary>The step it runs or waits in, if any.</summary>
    public string? CurrentStep { get; }

    /// <summary>Its output as recorded (UTF-8 JSON), once completed.</summary>
    public ReadOnlyMemory<byte>? OutputJson { get; }

    /// <summary>Its output as a JSON element (parsed from <see cref="OutputJson"/> on each call), once completed.</summary>
    public JsonElement? Output => OutputJson is { } json ? Parse(json) : null;

    /// <summary>Why it failed or was cancelled, or why it cannot run.</summary>
    public SagaError? Error { get; }

    /// <summary>
    /// For a saga that has not ended: when this host last saw it make progress (started here, or recorded anything),
    /// by the host's clock; null for an ended saga or one known from the log only.
    /// </summary>
    public DateTimeOffset? LastProgressAt { get; init; }

    /// <summary>Whether the saga ended (completed, failed or cancelled).</summary>
    public bool IsEnded => State is SagaState.Completed or SagaState.Failed or SagaState.Cancelled;

    /// <summary>The output deserialized as <typeparamref name="T"/> (the platform's JSON settings: web naming, enums as strings).</summary>
    /// <typeparam name="T">The orchestrator's output type.</typeparam>
    /// <returns>The output, or default when the saga has none (yet).</returns>
    public T? GetOutput<T>() => OutputJson is { } json ? JsonSerializer.Deserialize<T>(json.Span, SymphainyJson.Options) : default;

    /// <inheritdoc/>
    public override string ToString() => $"{Id} {Definition} v{Version} {State}{(Error is { } e ? $" ({e.Code}: {e.Message})" : "")}";

    private static JsonElement Parse(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

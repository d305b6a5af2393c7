using System.Text.Json;

namespace Symphainy.Sagas;

/// <summary>A saga as the engine knows it at one moment.</summary>
/// <param name="Id">The saga id (the execution id an intent's submitter got).</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="Intent">The intent that started it.</param>
/// <param name="Definition">Its definition's name.</param>
/// <param name="Version">The definition version it runs (pinned at start).</param>
/// <param name="State">Where it is.</param>
/// <param name="CompletedSteps">How many steps completed.</param>
/// <param name="CurrentStep">The step it runs or waits in, if any.</param>
/// <param name="Output">Its output, once completed.</param>
/// <param name="Error">Why it failed or was cancelled, or why it cannot run.</param>
public sealed record SagaSnapshot(
    SagaId Id,
    TenantId Tenant,
    IntentId Intent,
    string Definition,
    int Version,
    SagaState State,
    int CompletedSteps,
    string? CurrentStep,
    JsonElement? Output,
    SagaError? Error)
{
    /// <summary>Whether the saga ended (completed, failed or cancelled).</summary>
    public bool IsEnded => State is SagaState.Completed or SagaState.Failed or SagaState.Cancelled;
}

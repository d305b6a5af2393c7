namespace Symphainy.Sagas;

/// <summary>
/// A rule checked at every step boundary, before a step runs (not when a recorded step is replayed): zero trust
/// re-authorization, say. Smart City registers these; a policy refuses by throwing a <see cref="SymphainyException"/>,
/// which fails the step like any error (recorded, then retried or not by its code's retryability and the step's
/// policy).
/// </summary>
public interface IStepPolicy
{
    /// <summary>Checks a step about to run; throws to refuse it.</summary>
    /// <param name="context">The saga, its intent and the step.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    ValueTask EvaluateAsync(StepContext context, CancellationToken cancellationToken);
}

/// <summary>What a step policy sees.</summary>
/// <param name="Tenant">The saga's tenant.</param>
/// <param name="Saga">The saga.</param>
/// <param name="IntentType">The type of the intent that started it.</param>
/// <param name="Step">The step about to run.</param>
/// <param name="Metadata">What was recorded with the intent (the caller's metadata and intake policies' annotations).</param>
public sealed record StepContext(TenantId Tenant, SagaId Saga, string IntentType, string Step, IReadOnlyDictionary<string, string> Metadata);

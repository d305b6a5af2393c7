namespace Symphainy.Intake;

/// <summary>The one way work enters the platform.</summary>
public interface IIntentIntake
{
    /// <summary>
    /// Validates and normalizes an intent, asks the registered <see cref="IIntakePolicy"/> instances, records it in the
    /// write-ahead log, acknowledges, and then routes it to its saga. Completes once the intent is durable.
    /// </summary>
    /// <param name="intent">The intent.</param>
    /// <param name="cancellationToken">Cancels the submission (it may still be recorded).</param>
    /// <returns>The acknowledgement with the execution id.</returns>
    /// <exception cref="SymphainyException">
    /// <c>intake.invalid_intent</c>, <c>intake.payload_too_large</c>, <c>intake.unknown_intent_type</c>,
    /// <c>intake.invalid_payload</c>, or a policy's own code.
    /// </exception>
    ValueTask<IntentAcceptance> SubmitAsync(Intent intent, CancellationToken cancellationToken = default);
}

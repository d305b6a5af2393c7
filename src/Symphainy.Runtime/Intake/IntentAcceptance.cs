namespace Symphainy.Intake;

/// <summary>The acknowledgement of an accepted intent: it is recorded and will run.</summary>
/// <param name="Intent">The intent's id.</param>
/// <param name="Execution">The saga that executes it: the id to watch, signal or cancel.</param>
/// <param name="Position">The write-ahead log position of its record; watch events from here.</param>
/// <param name="Duplicate">True when the idempotency key matched an earlier intent, whose ids these are.</param>
public readonly record struct IntentAcceptance(IntentId Intent, SagaId Execution, long Position, bool Duplicate);

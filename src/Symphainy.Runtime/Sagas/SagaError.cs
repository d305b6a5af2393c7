namespace Symphainy.Sagas;

/// <summary>Why a saga failed, as recorded.</summary>
/// <param name="Code">The stable error code.</param>
/// <param name="Kind">Who is at fault.</param>
/// <param name="Message">What happened.</param>
/// <param name="Step">The step that failed, if a step did.</param>
public sealed record SagaError(string Code, ErrorKind Kind, string Message, string? Step);

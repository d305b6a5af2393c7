namespace Symphainy.Sagas;

/// <summary>Why a saga failed, as recorded.</summary>
/// <param name="Code">The stable error code.</param>
/// <param name="Kind">Who is at fault.</param>
/// <param name="Message">What happened.</param>
/// <param name="Step">The step that failed, if a step did.</param>
public sealed record SagaError(string Code, ErrorKind Kind, string Message, string? Step)
{
    /// <summary>The error as recorded for <paramref name="exception"/> thrown in <paramref name="step"/>.</summary>
    /// <param name="exception">What was thrown.</param>
    /// <param name="step">The step, if any.</param>
    /// <param name="untypedCode">The code of an exception that is not a <see cref="SymphainyException"/>.</param>
    internal static SagaError From(Exception exception, string? step, ErrorCode untypedCode) => exception is SymphainyException typed
        ? new SagaError(typed.Code, typed.Kind, typed.Message, step)
        : new SagaError(untypedCode.Code, untypedCode.Kind, $"{exception.GetType().Name}: {exception.Message}", step);
}

using Symphainy.Wal.Records;

namespace Symphainy.Sagas;

/// <summary>
/// <c>saga.nondeterministic</c>: on replay, the orchestrator's code and the log disagree at one step index. Says what
/// the log recorded there and what the code did instead, so tools (replay tests, operators) can say what changed.
/// </summary>
public sealed class SagaNondeterminismException : SymphainyException
{
    /// <summary>Creates the error.</summary>
    /// <param name="saga">The saga replayed.</param>
    /// <param name="definition">Its definition's name.</param>
    /// <param name="version">Its definition's version.</param>
    /// <param name="stepIndex">The step index (from 0) where code and log disagree.</param>
    /// <param name="called">What the code called there (kind and name); null when the code returned without calling it.</param>
    /// <param name="recorded">What the log recorded there (kind and name).</param>
    public SagaNondeterminismException(SagaId saga, string definition, int version, int stepIndex, (StepKind Kind, string Name)? called, (StepKind Kind, string Name) recorded)
        : base(ErrorCodes.SagaNondeterministic, Describe(saga, definition, version, stepIndex, called, recorded))
    {
        Saga = saga;
        StepIndex = stepIndex;
        CalledKind = called?.Kind;
        CalledName = called?.Name;
        RecordedKind = recorded.Kind;
        RecordedName = recorded.Name;
    }

    /// <summary>The saga replayed.</summary>
    public SagaId Saga { get; }

    /// <summary>The step index (from 0, in call order) where code and log disagree.</summary>
    public int StepIndex { get; }

    /// <summary>The kind of step the code called at <see cref="StepIndex"/>; null when the code returned before it.</summary>
    public StepKind? CalledKind { get; }

    /// <summary>The name of the step the code called at <see cref="StepIndex"/>; null when the code returned before it.</summary>
    public string? CalledName { get; }

    /// <summary>The kind of step the log recorded at <see cref="StepIndex"/>.</summary>
    public StepKind RecordedKind { get; }

    /// <summary>The name of the step the log recorded at <see cref="StepIndex"/>.</summary>
    public string RecordedName { get; }

    private static string Describe(SagaId saga, string definition, int version, int index, (StepKind Kind, string Name)? called, (StepKind Kind, string Name) recorded) =>
        called is { } c
            ? $"Saga {saga} ({definition} v{version}) called {c.Kind} '{c.Name}' as step {index}, but the log recorded {recorded.Kind} '{recorded.Name}' there."
            : $"Saga {saga} ({definition} v{version}) returned without calling step {index}, but the log recorded {recorded.Kind} '{recorded.Name}' there.";
}

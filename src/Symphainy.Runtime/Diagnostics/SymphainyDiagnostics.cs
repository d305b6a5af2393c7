using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Symphainy.Diagnostics;

/// <summary>
/// The Runtime's traces and metrics (activity source and meter <c>Symphainy.Runtime</c>). Spans: <c>intent {type}</c>
/// when an intent is submitted (a child of the caller's current activity, a web request say), <c>saga {name}</c> each
/// time a saga runs (a child of its intent's span, whose W3C <c>traceparent</c> is recorded with the intent, so a
/// saga resumed after a restart continues the same trace), and <c>step {name}</c> for each step it runs. Nothing is
/// allocated for them while no listener (OpenTelemetry, say) is attached.
/// </summary>
public static class SymphainyDiagnostics
{
    /// <summary>The name of the Runtime's activity source and meter.</summary>
    public const string Name = "Symphainy.Runtime";

    /// <summary>The metadata key under which an intent's trace context is recorded (W3C trace context).</summary>
    public const string TraceParentKey = "traceparent";

    /// <summary>The Runtime's spans.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Intents accepted and recorded (tag: type).</summary>
    public static readonly Counter<long> IntentsAccepted = Meter.CreateCounter<long>("symphainy.intents.accepted", "{intent}", "Intents accepted and recorded");

    /// <summary>Intents refused before anything was recorded (tags: type, code).</summary>
    public static readonly Counter<long> IntentsRefused = Meter.CreateCounter<long>("symphainy.intents.refused", "{intent}", "Intents refused at intake");

    /// <summary>Sagas ended (tags: definition, state).</summary>
    public static readonly Counter<long> SagasEnded = Meter.CreateCounter<long>("symphainy.sagas.ended", "{saga}", "Sagas ended");

    /// <summary>
    /// How long sagas took from the acceptance of their intent to their end, in seconds (tags: type, the intent type;
    /// outcome, the end state). A saga resumed after a restart counts from its original acceptance.
    /// </summary>
    public static readonly Histogram<double> SagaDuration = Meter.CreateHistogram<double>("symphainy.saga.duration", "s", "Time from an intent's acceptance to its saga's end");

    /// <summary>Steps recorded (tags: kind).</summary>
    public static readonly Counter<long> StepsCompleted = Meter.CreateCounter<long>("symphainy.steps.completed", "{step}", "Steps whose result was recorded");

    /// <summary>Step attempts that failed (tags: code).</summary>
    public static readonly Counter<long> StepsFailed = Meter.CreateCounter<long>("symphainy.steps.failed", "{attempt}", "Step attempts that failed");

    /// <summary>Parses a recorded trace context, if any.</summary>
    /// <param name="traceParent">The W3C <c>traceparent</c> value.</param>
    /// <returns>The context; default when absent or malformed.</returns>
    public static ActivityContext Parent(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var parent) ? parent : default;
}

using System.Text.Json;
using FluentAssertions;
using FluentAssertions.Execution;
using FluentAssertions.Primitives;
using Symphainy.Events;
using Symphainy.Sagas;
using Symphainy.Wal.Records;

namespace Symphainy.Testing;

/// <summary>Entry point of the execution assertions: <c>execution.Should()</c>.</summary>
public static class ExecutionAssertionExtensions
{
    /// <summary>Assertions on an execution (await <see cref="TestExecution.WaitForEndAsync"/> or <see cref="TestExecution.RefreshAsync"/> first).</summary>
    /// <param name="execution">The execution.</param>
    /// <returns>The assertions.</returns>
    public static ExecutionAssertions Should(this TestExecution execution) => new(execution);

    /// <summary>Assertions on a replay's result.</summary>
    /// <param name="result">The replay's result.</param>
    /// <returns>The assertions.</returns>
    public static ReplayResultAssertions Should(this ReplayResult result) => new(result);
}

/// <summary>FluentAssertions-style checks of an execution's end, steps, retries, compensations, agent outputs and events.</summary>
public sealed class ExecutionAssertions : ReferenceTypeAssertions<TestExecution, ExecutionAssertions>
{
    /// <summary>Creates the assertions.</summary>
    /// <param name="subject">The execution.</param>
    public ExecutionAssertions(TestExecution subject)
        : base(subject)
    {
    }

    /// <inheritdoc/>
    protected override string Identifier => "execution";

    /// <summary>Asserts that the execution completed.</summary>
    /// <param name="because">Why it should.</param>
    /// <param name="becauseArgs">Arguments of <paramref name="because"/>.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ExecutionAssertions> HaveCompleted(string because = "", params object[] becauseArgs)
    {
        Execute.Assertion.BecauseOf(because, becauseArgs)
            .ForCondition(Subject.State == SagaState.Completed)
            .FailWith($"Expected {{context:execution}} {Subject.Id} to have completed{{reason}}, but it is {StateText}.{{0}}", new Detail(Subject));
        return new AndConstraint<ExecutionAssertions>(this);
    }

    /// <summary>Asserts that the execution failed with <paramref name="code"/>: its end's code, or the code of the step failure that ended it.</summary>
    /// <param name="code">An error code (<c>saga.signal_timeout</c>, a realm's domain code, …).</param>
    /// <param name="because">Why it should.</param>
    /// <param name="becauseArgs">Arguments of <paramref name="because"/>.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ExecutionAssertions> HaveFailedWith(string code, string because = "", params object[] becauseArgs)
    {
        var codes = FailureCodes().ToList();
        Execute.Assertion.BecauseOf(because, becauseArgs)
            .ForCondition(Subject.State == SagaState.Failed && codes.Contains(code, StringComparer.Ordinal))
            .FailWith($"Expected {{context:execution}} {Subject.Id} to have failed with {{0}}{{reason}}, but it is {StateText} with codes {{1}}.{{2}}", code, codes, new Detail(Subject));
        return new AndConstraint<ExecutionAssertions>(this);
    }

    /// <summary>Asserts that the execution was cancelled.</summary>
    /// <param name="because">Why it should.</param>
    /// <param name="becauseArgs">Arguments of <paramref name="because"/>.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ExecutionAssertions> HaveBeenCancelled(string because = "", params object[] becauseArgs)
    {
        Execute.Assertion.BecauseOf(because, becauseArgs)
            .ForCondition(Subject.State == SagaState.Cancelled)
            .FailWith($"Expected {{context:execution}} {Subject.Id} to have been cancelled{{reason}}, but it is {StateText}.{{0}}", new Detail(Subject));
        return new AndConstraint<ExecutionAssertions>(this);
    }

    /// <summary>Asserts that the completed steps (services, agents, timers, signal waits) are exactly <paramref name="steps"/>, in this order.</summary>
    /// <param name="steps">The step names.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ExecutionAssertions> HaveStepsInOrder(params string[] steps)
    {
        var recorded = Subject.History.Steps.Select(s => s.Name).ToList();
        Execute.Assertion
            .ForCondition(recorded.SequenceEqual(steps, StringComparer.Ordinal))
            .FailWith($"Expected {{context:execution}} {Subject.Id} to have recorded the steps {{0}} in this order, but it recorded {{1}}.{{2}}", steps, recorded, new Detail(Subject));
        return new AndConstraint<ExecutionAssertions>(this);
    }

    /// <summary>Asserts that step <paramref name="step"/> was retried exactly <paramref name="times"/> times (failed attempts followed by another attempt).</summary>
    /// <param name="step">The step's name.</param>
    /// <param name="times">How many retries.</param>
    /// <param name="because">Why.</param>
    /// <param name="becauseArgs">Arguments of <paramref name="because"/>.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ExecutionAssertions> HaveRetried(string step, int times, string because = "", params object[] becauseArgs)
    {
        var retries = Subject.History.Failures.Count(f => f.Name == step && !f.Final && f.StepKind != StepKind.Compensation);
        Execute.Assertion.BecauseOf(because, becauseArgs)
            .ForCondition(retries == times)
            .FailWith($"Expected step {{0}} of {{context:execution}} {Subject.Id} to have been retried {{1}} time(s){{reason}}, but it was retried {{2}} time(s).{{3}}", step, times, retries, new Detail(Subject));
        return new AndConstraint<ExecutionAssertions>(this);
    }

    /// <summary>Asserts that exactly <paramref name="steps"/> were compensated, in this order (the reverse of their completion).</summary>
    /// <param name="steps">The compensated steps' names.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ExecutionAssertions> HaveCompensatedInOrder(params string[] steps)
    {
        var compensated = Subject.History.Compensations.Select(s => s.Name).ToList();
        Execute.Assertion
            .ForCondition(compensated.SequenceEqual(steps, StringComparer.Ordinal))
            .FailWith($"Expected {{context:execution}} {Subject.Id} to have compensated {{0}} in this order, but it compensated {{1}}.{{2}}", steps, compensated, new Detail(Subject));
        return new AndConstraint<ExecutionAssertions>(this);
    }

    /// <summary>
    /// Asserts that agent step <paramref name="step"/> recorded an output (an <c>AgentArtifact</c>) whose every claim cites at
    /// least one fact, and only facts the agent gathered.
    /// </summary>
    /// <param name="step">The agent step's name.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ExecutionAssertions> HaveAgentOutputCitingItsFacts(string step)
    {
        var output = Subject.History.Steps.FirstOrDefault(s => s.Kind == StepKind.Agent && s.Name == step);
        Execute.Assertion
            .ForCondition(output?.Result is not null)
            .FailWith($"Expected {{context:execution}} {Subject.Id} to have recorded an output of agent step {{0}}, but it did not.{{1}}", step, new Detail(Subject));
        using var document = JsonDocument.Parse(output!.Result!.Value);
        var problems = CitationProblems(document.RootElement).ToList();
        Execute.Assertion
            .ForCondition(problems.Count == 0)
            .FailWith($"Expected every claim of agent step {{0}} of {{context:execution}} {Subject.Id} to cite facts the agent gathered, but: {{1}}", step, problems);
        return new AndConstraint<ExecutionAssertions>(this);
    }

    /// <summary>Asserts that the execution emitted events of these kinds in this order (other events may come between them).</summary>
    /// <param name="kinds">The event kinds.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ExecutionAssertions> HaveEmittedEventsInOrder(params ExecutionEventKind[] kinds)
    {
        var emitted = Subject.History.Events.Select(e => e.Kind).ToList();
        var next = 0;
        foreach (var kind in emitted)
        {
            if (next < kinds.Length && kinds[next] == kind)
            {
                next++;
            }
        }

        Execute.Assertion
            .ForCondition(next == kinds.Length)
            .FailWith($"Expected {{context:execution}} {Subject.Id} to have emitted {{0}} in this order, but it emitted {{1}}.", kinds, emitted);
        return new AndConstraint<ExecutionAssertions>(this);
    }

    private string StateText => Subject.State?.ToString() ?? "not awaited yet (await WaitForEndAsync or RefreshAsync first)";

    private IEnumerable<string> FailureCodes()
    {
        if (Subject.Error is { } error)
        {
            yield return error.Code;
        }

        if (Subject.History.End?.Error is { } ended)
        {
            yield return ended.Code;
        }

        foreach (var failure in Subject.History.Failures.Where(f => f.Final))
        {
            yield return failure.Error.Code;
        }

        foreach (var timedOut in Subject.History.Signals.Where(s => s.SignalKind == SignalKind.TimedOut))
        {
            yield return ErrorCodes.SagaSignalTimeout.Code;
        }
    }

    private static IEnumerable<string> CitationProblems(JsonElement artifact)
    {
        if (!artifact.TryGetProperty("result", out var result) || !result.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Array)
        {
            yield return "its output has no claims (result.claims)";
            yield break;
        }

        var facts = artifact.TryGetProperty("facts", out var gathered) && gathered.ValueKind == JsonValueKind.Array
            ? gathered.EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToHashSet(StringComparer.Ordinal)
            : [];
        if (claims.GetArrayLength() == 0)
        {
            yield return "it makes no claim";
        }

        foreach (var claim in claims.EnumerateArray())
        {
            var text = claim.GetProperty("text").GetString();
            var citations = claim.TryGetProperty("citations", out var cited) ? cited.EnumerateArray().Select(c => c.GetString()).ToList() : [];
            if (citations.Count == 0)
            {
                yield return $"claim \"{text}\" cites nothing";
            }

            foreach (var citation in citations.Where(c => !facts.Contains(c)))
            {
                yield return $"claim \"{text}\" cites {citation}, a fact the agent did not gather";
            }
        }
    }

    /// <summary>The execution's state, error and records, appended to failure messages.</summary>
    private sealed class Detail(TestExecution execution)
    {
        public override string ToString() =>
            $"{Environment.NewLine}{execution}{(execution.Error is { } e ? $": {e.Code}: {e.Message}" : "")}{Environment.NewLine}Its records:{Environment.NewLine}{execution.History.Describe()}";
    }
}

/// <summary>Checks of a replay's result.</summary>
public sealed class ReplayResultAssertions : ReferenceTypeAssertions<ReplayResult, ReplayResultAssertions>
{
    /// <summary>Creates the assertions.</summary>
    /// <param name="subject">The replay's result.</param>
    public ReplayResultAssertions(ReplayResult subject)
        : base(subject)
    {
    }

    /// <inheritdoc/>
    protected override string Identifier => "replay";

    /// <summary>Asserts that the code makes exactly the recorded calls; the failure message lists every difference.</summary>
    /// <param name="because">Why it should.</param>
    /// <param name="becauseArgs">Arguments of <paramref name="because"/>.</param>
    /// <returns>The assertions, to chain.</returns>
    public AndConstraint<ReplayResultAssertions> BeDeterministic(string because = "", params object[] becauseArgs)
    {
        Execute.Assertion.BecauseOf(because, becauseArgs)
            .ForCondition(Subject.IsDeterministic)
            .FailWith("Expected the code to replay the recording{reason}, but: {0}", new Verbatim(Subject.Describe()));
        return new AndConstraint<ReplayResultAssertions>(this);
    }

    private sealed class Verbatim(string text)
    {
        public override string ToString() => text;
    }
}

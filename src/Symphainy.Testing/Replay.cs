using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Hosting;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Testing;

/// <summary>One way the code under replay differs from the recording.</summary>
/// <param name="StepIndex">The step index (from 0) where it differs; null for a difference in how the execution ended.</param>
/// <param name="Recorded">What the recording holds there (null for a step the recording does not have).</param>
/// <param name="Now">What the code does there now (null for a step it no longer calls).</param>
/// <param name="Description">The difference in words.</param>
public sealed record ReplayDifference(int? StepIndex, string? Recorded, string? Now, string Description)
{
    /// <inheritdoc/>
    public override string ToString() => Description;
}

/// <summary>What replaying a recorded execution against the current code found.</summary>
public sealed class ReplayResult
{
    internal ReplayResult(ExecutionRecording recording, IReadOnlyList<ReplayDifference> differences, SagaSnapshot? end)
    {
        Recording = recording;
        Differences = differences;
        End = end;
    }

    /// <summary>The recording replayed.</summary>
    public ExecutionRecording Recording { get; }

    /// <summary>Every difference found; empty when the code makes exactly the recorded calls.</summary>
    public IReadOnlyList<ReplayDifference> Differences { get; }

    /// <summary>Whether the code makes exactly the recorded calls.</summary>
    public bool IsDeterministic => Differences.Count == 0;

    /// <summary>How the replayed execution stood when the replay host was idle.</summary>
    public SagaSnapshot? End { get; }

    /// <summary>The differences as a message a person can act on.</summary>
    /// <returns>The message.</returns>
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append("Replay of execution ").Append(Recording.Execution).Append(" (").Append(Recording.IntentType).Append(", ")
            .Append(Recording.Definition).Append(" v").Append(Recording.Version);
        if (Recording.Source is { } source)
        {
            text.Append(", recorded in ").Append(Path.GetFileName(source)).Append(" (log format ").Append(Recording.FormatVersion).Append(')');
        }

        text.Append(')');
        if (IsDeterministic)
        {
            return text.Append(" makes exactly the recorded calls.").ToString();
        }

        text.Append(" differs from the recording:");
        foreach (var difference in Differences)
        {
            text.AppendLine().Append("  ").Append(difference.Description);
        }

        text.AppendLine().Append("Recorded steps: ").Append(string.Join(", ", Recording.History.Steps.Select(s => $"{s.Index} `{s.Name}`")))
            .Append(". Keep the old orchestrator registered under its version and register the changed one as a new version.");
        return text.ToString();
    }

    /// <summary>Throws <c>testing.replay_diverged</c>, with <see cref="Describe"/> as the message, when the code differs from the recording.</summary>
    /// <exception cref="SymphainyException"><c>testing.replay_diverged</c>.</exception>
    public void ThrowIfDiverged()
    {
        if (!IsDeterministic)
        {
            throw new SymphainyException(TestingErrorCodes.ReplayDiverged, Describe());
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Describe();
}

/// <summary>Runs a recording through the engine's recovery on a fresh test host and compares.</summary>
internal static class Replayer
{
    public static async Task<ReplayResult> ReplayAsync(ExecutionRecording recording, Action<ISymphainyBuilder> configure, Action<SymphainyTestHostOptions>? options)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(configure);

        // The recording's records (all but the end, so recovery resumes it) in a log of their own, stamped with their
        // recorded times; the replay host's clock continues from the last of them.
        var clock = new FakeTimeProvider(recording.Records[0].Timestamp);
        var log = new InMemoryWriteAheadLog(clock);
        foreach (var record in recording.Records.Where(r => r.Kind != WalRecordKind.SagaEnded))
        {
            if (record.Timestamp > clock.GetUtcNow())
            {
                clock.SetUtcNow(record.Timestamp);
            }

            await log.AppendAsync(new WalEntry(record.Kind, record.Tenant, record.Payload, record.Session, record.Saga, record.Intent)).ConfigureAwait(false);
        }

        var seeded = log.NextPosition;
        var poison = new PoisonObserver();
        var start = clock.GetUtcNow();
        var host = await SymphainyTestHost.StartAsync(
            configure,
            o =>
            {
                options?.Invoke(o);
                o.Tenant = recording.Tenant;
                o.StartTime = start;
            },
            services => services.AddSingleton<ISagaRecoveryObserver>(poison),
            log).ConfigureAwait(false);
        await using var owned = host.ConfigureAwait(false);
        await host.WhenIdleAsync().ConfigureAwait(false);
        var end = await host.Engine.GetAsync(recording.Tenant, recording.Execution).ConfigureAwait(false);
        var replayed = new List<WalRecord>();
        await foreach (var record in log.ReadAsync(seeded).ConfigureAwait(false))
        {
            if (record.Saga == recording.Execution)
            {
                replayed.Add(record);
            }
        }

        return new ReplayResult(recording, Compare(recording, poison.Problem, new ExecutionHistory(replayed), end), end);
    }

    private static List<ReplayDifference> Compare(ExecutionRecording recording, SymphainyException? problem, ExecutionHistory replayed, SagaSnapshot? end)
    {
        var recorded = recording.History.Steps;
        var differences = new List<ReplayDifference>();
        if (problem is SagaNondeterminismException diverged)
        {
            var was = $"{RecordedStep.Describe(diverged.RecordedKind)} `{diverged.RecordedName}`";
            if (diverged.CalledName is { } name)
            {
                var now = $"{RecordedStep.Describe(diverged.CalledKind!.Value)} `{name}`";
                var elsewhere = recorded.FirstOrDefault(s => s.Name == name && s.Index != diverged.StepIndex);
                var hint = elsewhere is null ? " (a step the recording does not have)" : $" (recorded as step {elsewhere.Index})";
                differences.Add(new ReplayDifference(diverged.StepIndex, was, now, $"step {diverged.StepIndex}: recorded {was}, code now runs {now}{hint}"));
            }
            else
            {
                differences.Add(new ReplayDifference(diverged.StepIndex, was, null, $"step {diverged.StepIndex}: recorded {was}, code now returns without calling it"));
            }

            return differences;
        }

        if (problem is not null)
        {
            differences.Add(new ReplayDifference(null, null, null, $"the replay could not run the execution: {problem.Code}: {problem.Message}"));
            return differences;
        }

        // Steps the code ran live: the recording has no such index (or the recording ended before reaching it).
        if (recording.History.End is not null)
        {
            foreach (var step in replayed.Steps)
            {
                var now = $"{RecordedStep.Describe(step.Kind)} `{step.Name}`";
                differences.Add(new ReplayDifference(step.Index, null, now, $"step {step.Index}: not in the recording, code now runs {now}"));
            }

            foreach (var failure in replayed.Failures.Where(f => recording.History.Failures.All(r => r.Index != f.Index || r.Attempt != f.Attempt)))
            {
                differences.Add(new ReplayDifference(failure.Index, null, failure.Name, $"step {failure.Index}: not in the recording, code now runs `{failure.Name}` and it failed ({failure.Error.Code}: {failure.Error.Message})"));
            }

            if (end is { IsEnded: true } && end.State != recording.History.End.State)
            {
                differences.Add(new ReplayDifference(null, recording.History.End.State.ToString(), end.State.ToString(),
                    $"end: recorded {recording.History.End.State}, the replay ends {end.State}{(end.Error is { } e ? $" ({e.Code}: {e.Message})" : "")}"));
            }
            else if (end is not { IsEnded: true })
            {
                differences.Add(new ReplayDifference(null, recording.History.End.State.ToString(), end?.State.ToString(),
                    $"end: recorded {recording.History.End.State}, the replay does not end (it is {end?.State.ToString() ?? "unknown"}{(end?.CurrentStep is { } s ? $" in step '{s}'" : "")})"));
            }
        }

        return differences;
    }

    private sealed class PoisonObserver : ISagaRecoveryObserver
    {
        public SymphainyException? Problem { get; private set; }

        public ValueTask BeforeResumeAsync(SagaSnapshot saga, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask AfterResumeAsync(SagaSnapshot saga, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask OnPoisonAsync(SagaSnapshot saga, SymphainyException problem, CancellationToken cancellationToken)
        {
            Problem ??= problem;
            return ValueTask.CompletedTask;
        }
    }
}

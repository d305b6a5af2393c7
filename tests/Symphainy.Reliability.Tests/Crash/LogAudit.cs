using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Reliability.Tests.Crash;

/// <summary>The intent types of the workload's sagas (tests/Symphainy.Reliability.Workload/MixedSagas.cs).</summary>
public static class MixedSagas
{
    public const string Plain = "crash.plain";
    public const string Agent = "crash.agent";
    public const string Timer = "crash.timer";
    public const string Signal = "crash.signal";
    public const string Compensate = "crash.compensate";
    public const string Retry = "crash.retry";
}

/// <summary>
/// Reads a write-ahead log through the Runtime's reading API (<see cref="IWriteAheadLog.ReadAsync"/> and
/// <see cref="WalPayloadCodec"/>) and lists every way it breaks what a crash must never break: positions without gaps,
/// every acknowledged intent present at its acknowledged position, one intent, one start and at most one end per saga,
/// no step (or agent output, or compensation, or attempt of a failing step) recorded twice, nothing recorded for a saga
/// after its end, and, once everything ran, each saga ended as its type must with its steps in order.
/// </summary>
public static class LogAudit
{
    /// <summary>The steps each workload saga records when it ends well, in order (name, kind).</summary>
    private static readonly Dictionary<string, (string, StepKind)[]> Expected = new()
    {
        [MixedSagas.Plain] = [("one", StepKind.Step), ("two", StepKind.Step), ("three", StepKind.Step)],
        [MixedSagas.Agent] = [("prepare", StepKind.Step), ("summarize", StepKind.Agent), ("finish", StepKind.Step)],
        [MixedSagas.Timer] = [("one", StepKind.Step), ("pause", StepKind.Timer), ("two", StepKind.Step)],
        [MixedSagas.Signal] = [("one", StepKind.Step), ("go", StepKind.Wait), ("two", StepKind.Step)],
        [MixedSagas.Compensate] = [("reserve", StepKind.Step), ("reserve", StepKind.Compensation)],
        [MixedSagas.Retry] = [("flaky", StepKind.Step), ("after", StepKind.Step)],
        [Faults.FaultSagas.Steps] = [("one", StepKind.Step), ("two", StepKind.Step), ("three", StepKind.Step)],
        [Faults.FaultSagas.Timer] = [("one", StepKind.Step), ("pause", StepKind.Timer), ("two", StepKind.Step)],
    };

    public sealed class Report
    {
        public List<string> Violations { get; } = [];

        public long Records { get; set; }

        public int Sagas { get; set; }

        public int Ended { get; set; }

        public int Checked { get; set; }

        public long LastPosition { get; set; }

        public void Violation(string what)
        {
            if (Violations.Count < 50)
            {
                Violations.Add(what);
            }
            else if (Violations.Count == 50)
            {
                Violations.Add("... (more violations left out)");
            }
        }
    }

    private sealed class SagaRecords
    {
        public long IntentAt;
        public int Intents;
        public int Starts;
        public int Ends;
        public SagaEndedPayload? End;
        public readonly List<(string Name, StepKind Kind, int Index)> Steps = [];
        public readonly HashSet<(int Index, bool Compensation)> StepKeys = [];
        public readonly Dictionary<int, int> LastAttempt = [];
        public int Compensating;
    }

    /// <param name="wal">The log, opened after the crash (its recovery done).</param>
    /// <param name="acknowledged">Every intent acknowledged so far: its type and the position its acknowledgement named.</param>
    /// <param name="requireEnded">Whether every acknowledged saga must have ended (after the last, clean run).</param>
    /// <param name="tenant">Only this tenant's records are audited (null: all).</param>
    public static async Task<Report> AuditAsync(IWriteAheadLog wal, IReadOnlyDictionary<SagaId, (string Type, long Position)> acknowledged, bool requireEnded, TenantId? tenant = null)
    {
        var report = new Report();
        var sagas = new Dictionary<SagaId, SagaRecords>();
        var expectedPosition = wal.FirstPosition;
        await foreach (var record in wal.ReadAsync(wal.FirstPosition))
        {
            report.Records++;
            if (record.Position != expectedPosition)
            {
                report.Violation($"position {record.Position} follows {expectedPosition - 1}: the log has a gap or repeats a position");
            }

            expectedPosition = record.Position + 1;
            report.LastPosition = record.Position;
            if (record.Saga is not { } saga || (tenant is { } only && record.Tenant != only))
            {
                continue;
            }

            if (!sagas.TryGetValue(saga, out var of))
            {
                sagas[saga] = of = new SagaRecords();
            }

            if (of.Ends > 0 && record.Kind != WalRecordKind.SagaSignalled)
            {
                // Only a signal sent while the saga was ending may land after its end (the sender checked before it ended).
                report.Violation($"saga {saga}: {record.Kind} at {record.Position} after its end");
            }

            switch (WalPayloadCodec.Decode(record))
            {
                case IntentReceivedPayload:
                    of.Intents++;
                    of.IntentAt = record.Position;
                    if (of.Intents > 1)
                    {
                        report.Violation($"saga {saga}: a second intent record at {record.Position}");
                    }

                    break;
                case SagaStartedPayload:
                    of.Starts++;
                    if (of.Intents == 0 || of.Starts > 1)
                    {
                        report.Violation($"saga {saga}: start at {record.Position} {(of.Intents == 0 ? "before its intent" : "recorded twice")}");
                    }

                    break;
                case StepCompletedPayload step:
                    var compensation = step.StepKind == StepKind.Compensation;
                    if (!of.StepKeys.Add((step.Index, compensation)))
                    {
                        report.Violation($"saga {saga}: step {step.Index} '{step.Name}' ({step.StepKind}) recorded twice (again at {record.Position})");
                    }

                    if (of.Starts == 0)
                    {
                        report.Violation($"saga {saga}: step {step.Index} recorded at {record.Position} before the saga's start");
                    }

                    of.Steps.Add((step.Name, step.StepKind, step.Index));
                    break;
                case StepFailedPayload failed when failed.StepKind != StepKind.Compensation:
                    var last = of.LastAttempt.GetValueOrDefault(failed.Index);
                    if (failed.Attempt <= last)
                    {
                        report.Violation($"saga {saga}: attempt {failed.Attempt} of step {failed.Index} recorded at {record.Position} after attempt {last}");
                    }

                    of.LastAttempt[failed.Index] = failed.Attempt;
                    break;
                case SagaCompensatingPayload:
                    of.Compensating++;
                    if (of.Compensating > 1)
                    {
                        report.Violation($"saga {saga}: compensation began twice (again at {record.Position})");
                    }

                    break;
                case SagaEndedPayload ended:
                    of.Ends++;
                    of.End = ended;
                    if (of.Ends > 1)
                    {
                        report.Violation($"saga {saga}: ended twice (again at {record.Position})");
                    }

                    break;
            }
        }

        report.Sagas = sagas.Count;
        report.Ended = sagas.Values.Count(s => s.Ends > 0);
        foreach (var (saga, (type, position)) in acknowledged)
        {
            report.Checked++;
            if (!sagas.TryGetValue(saga, out var of) || of.Intents == 0)
            {
                report.Violation($"acknowledged saga {saga} ({type}) has no intent record: an acknowledged intent was lost");
                continue;
            }

            if (of.IntentAt != position)
            {
                report.Violation($"acknowledged saga {saga} ({type}): its intent is at {of.IntentAt}, its acknowledgement said {position}");
            }

            if (!requireEnded)
            {
                continue;
            }

            if (of.End is not { } end)
            {
                report.Violation($"acknowledged saga {saga} ({type}) never ended");
                continue;
            }

            var steps = of.Steps.Select(s => (s.Name, s.Kind)).ToArray();
            var expected = Expected[type];
            var failedForGood = type == MixedSagas.Retry && end.State == SagaState.Failed && of.LastAttempt.GetValueOrDefault(0) == 8;
            if (type == MixedSagas.Compensate)
            {
                if (end.State != SagaState.Failed || end.Error?.Code != ErrorCodes.SagaStepFailed.Code || !steps.SequenceEqual(expected) || of.Compensating != 1)
                {
                    report.Violation($"saga {saga} ({type}) ended {end.State} ({end.Error?.Code}) with steps [{string.Join(", ", steps)}]; expected Failed (saga.step_failed) after compensating 'reserve' once");
                }
            }
            else if (failedForGood)
            {
                // Restarts during its backoffs used up all eight attempts: allowed, and each attempt was recorded once.
            }
            else if (end.State != SagaState.Completed || !steps.SequenceEqual(expected))
            {
                report.Violation($"saga {saga} ({type}) ended {end.State} ({end.Error?.Code}: {end.Error?.Message}) with steps [{string.Join(", ", steps)}]; expected Completed with [{string.Join(", ", expected)}]");
            }
        }

        return report;
    }
}

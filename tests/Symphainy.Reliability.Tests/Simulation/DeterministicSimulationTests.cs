using System.Globalization;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Simulation;

/// <summary>The simulation runs alone: it waits for the thread pool to be quiet between its choices.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SimulationRunsAlone
{
    public const string Name = "deterministic simulation";
}

/// <summary>
/// Deterministic simulation of the Runtime (docs/execution-semantics.md): seeded runs of the whole Runtime on one
/// thread, with simulated time and fault-injecting ports, checking the invariants after every step and at the end.
/// A failing seed prints <c>seed=N</c>; <c>SYMPHAINY_SIM_SEED=N</c> reruns that seed alone.
/// </summary>
[Collection(SimulationRunsAlone.Name)]
public sealed class DeterministicSimulationTests(ITestOutputHelper output)
{
    private const int StepsPerSeed = 4_000;

    [Fact]
    public void Seeded_runs_keep_every_invariant_and_replay_identically()
    {
        var only = Environment.GetEnvironmentVariable("SYMPHAINY_SIM_SEED");
        var seeds = only is { Length: > 0 } ? [int.Parse(only, CultureInfo.InvariantCulture)] : SeedList();
        var minutes = ReliabilitySuite.LongMode && int.TryParse(Environment.GetEnvironmentVariable("SYMPHAINY_SIM_MINUTES"), out var m) ? m : ReliabilitySuite.LongMode ? 60 : 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long steps = 0, dispatches = 0, faults = 0, crashes = 0, stops = 0, sagas = 0, acknowledged = 0, hops = 0, settleTimeouts = 0, replayed = 0, events = 0;
        var failures = new List<string>();
        var ran = 0;
        foreach (var seed in seeds)
        {
            if (minutes > 0 && clock.Elapsed > TimeSpan.FromMinutes(minutes))
            {
                break;
            }

            var result = RunSeed(seed);
            ran++;
            steps += result.Stats.Steps;
            dispatches += result.Stats.Dispatches;
            faults += result.Stats.Faults;
            crashes += result.Stats.Crashes;
            stops += result.Stats.Stops + result.Stats.Disposals;
            sagas += result.Stats.Sagas;
            acknowledged += result.Stats.Acknowledged;
            hops += result.Stats.ForeignHops;
            settleTimeouts += result.Stats.SettleTimeouts;
            events += result.Stats.EventsChecked;
            if (result.Violations.Count > 0)
            {
                failures.Add(Describe(result));
                continue;
            }

            // Every sixteenth seed (and a seed asked for alone) runs again: the same trace, step for step.
            if (only is { Length: > 0 } || seed % 16 == 0)
            {
                var again = RunSeed(seed);
                replayed++;
                if (again.TraceHash != result.TraceHash || again.Stats.Steps != result.Stats.Steps)
                {
                    failures.Add($"seed={seed}: not deterministic: trace {result.TraceHash:x16} ({result.Stats.Steps} steps), then {again.TraceHash:x16} ({again.Stats.Steps} steps)");
                }
            }

            if (only is { Length: > 0 })
            {
                output.WriteLine($"settle {result.Stats.SettleTicks * 1000 / System.Diagnostics.Stopwatch.Frequency} ms ({result.Stats.SettleWaits} waits), build {result.Stats.BuildTicks * 1000 / System.Diagnostics.Stopwatch.Frequency} ms (provider {result.Stats.ProviderTicks * 1000 / System.Diagnostics.Stopwatch.Frequency}, hosted {result.Stats.HostedTicks * 1000 / System.Diagnostics.Stopwatch.Frequency}), {result.Stats.Incarnations} incarnations");
                if (Environment.GetEnvironmentVariable("SYMPHAINY_SIM_TRACE") is "1")
                {
                    var a = RunSeed(seed, trace: true);
                    var b = RunSeed(seed, trace: true);
                    var at = a.TraceLog!.Zip(b.TraceLog!).TakeWhile(p => p.First == p.Second).Count();
                    output.WriteLine($"runs part at trace line {at} of {a.TraceLog!.Count}/{b.TraceLog!.Count}");
                    foreach (var line in a.TraceLog!.Skip(Math.Max(0, at - 8)).Take(12))
                    {
                        output.WriteLine("A " + line);
                    }

                    foreach (var line in b.TraceLog!.Skip(Math.Max(0, at - 8)).Take(12))
                    {
                        output.WriteLine("B " + line);
                    }
                }

                output.WriteLine($"seed={seed} trace={result.TraceHash:x16} steps={result.Stats.Steps} sagas={result.Stats.Sagas} records={result.Stats.Records} crashes={result.Stats.Crashes}");
            }
        }

        output.WriteLine($"{ran} seeds, {steps} simulated steps ({dispatches} dispatches), {faults} faults injected, {crashes} crashes, {stops} stops or disposals, {sagas} sagas ({acknowledged} acknowledgements), {events} events checked, {replayed} seeds replayed, {hops} thread-pool hops absorbed, {settleTimeouts} settle timeouts, {failures.Count} failing seeds, {clock.Elapsed.TotalSeconds:F0} s");
        ReliabilitySuite.Record("simulation", "seeds", ran, failures.Count);
        ReliabilitySuite.Record("simulation", "simulated steps", steps, failures.Count);
        ReliabilitySuite.Record("simulation", "faults injected", faults, 0);
        ReliabilitySuite.Record("simulation", "crashes, stops and disposals", crashes + stops, 0);
        ReliabilitySuite.Record("simulation", "seeds replayed (same trace)", replayed, failures.Count(f => f.Contains("not deterministic", StringComparison.Ordinal)));
        foreach (var failure in failures.Take(10))
        {
            output.WriteLine(failure);
        }

        failures.Should().BeEmpty("every seed keeps the invariants and replays identically (rerun one with SYMPHAINY_SIM_SEED=N)");
        if (only is not { Length: > 0 } && minutes == 0 && Environment.GetEnvironmentVariable("SYMPHAINY_SIM_COUNT") is null)
        {
            steps.Should().BeGreaterThanOrEqualTo(1_000_000, "CI runs at least a million simulated steps");
        }
    }

    [Fact]
    public void A_seed_replays_identically()
    {
        var traces = new List<string>();
        foreach (var seed in new[] { 7, 8, 9 })
        {
            var first = RunSeed(seed);
            var second = RunSeed(seed);
            first.Violations.Should().BeEmpty(Describe(first));
            second.TraceHash.Should().Be(first.TraceHash, $"seed={seed} replays step for step");
            second.Stats.Steps.Should().Be(first.Stats.Steps);
            second.Stats.Records.Should().Be(first.Stats.Records);
            traces.Add($"{first.TraceHash:x16}");
        }

        traces.Distinct().Should().HaveCount(3, "different seeds explore different runs");
        ReliabilitySuite.Record("simulation", "replay checks", 3, 0);
    }

    [Fact]
    public void The_checker_reports_violations_injected_into_its_input()
    {
        // A run whose queries report a leak that is not there: the simulation must fail with it.
        var injected = RunSeed(3, injectViolation: true);
        injected.Violations.Should().Contain(v => v.Contains("injected leak", StringComparison.Ordinal));

        // Records that break the log's rules, fed straight to the checker.
        var found = new List<string>();
        var checker = new SimChecker(found.Add);
        var ids = new IdGenerator(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(), new SeededRandomSource(1));
        var tenant = ids.Next<TenantId>();
        var saga = ids.Next<SagaId>();
        var intent = ids.Next<IntentId>();
        var at = new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero);
        var input = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new FlowInput(2, -1, 0, false, 0, false, 0), SimChecker.Json);
        WalRecord Record(long position, WalPayload payload, TenantId? of = null) =>
            new(position, at, payload.Kind, of ?? tenant, WalPayloadCodec.Encode(payload), null, saga, intent);
        var step0 = new StepCompletedPayload(0, "step-0", StepKind.Step, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new StepValue(SimWork.ValueOf(saga, 0))));
        checker.OnStepRun(saga, 0);
        checker.OnDurable(Record(1, new IntentReceivedPayload("sim.flow", "sim.flow", 1, input, "key-1")));
        checker.OnDurable(Record(2, new SagaStartedPayload("sim.flow", 1)));
        checker.OnDurable(Record(3, step0));
        found.Should().BeEmpty("a legal history is not a violation");
        checker.OnDurable(Record(4, step0));
        checker.OnDurable(Record(6, new StepCompletedPayload(1, "step-1", StepKind.Step, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new StepValue(5)))));
        checker.OnDurable(Record(7, new SagaStartedPayload("sim.flow", 1), ids.Next<TenantId>()));
        checker.OnAcknowledged(1, new Intent("sim.flow", tenant, default), new IntentAcceptance(ids.Next<IntentId>(), ids.Next<SagaId>(), 9, Duplicate: true));
        checker.CheckEnd(1024, _ => null);
        found.Should().Contain(v => v.Contains("recorded twice", StringComparison.Ordinal), "a step recorded twice");
        found.Should().Contain(v => v.Contains("gap", StringComparison.Ordinal), "a position skipped");
        found.Should().Contain(v => v.Contains("code never ran", StringComparison.Ordinal), "a result no step produced");
        found.Should().Contain(v => v.Contains("only ever produces", StringComparison.Ordinal), "a result other than the step's");
        found.Should().Contain(v => v.Contains("started twice", StringComparison.Ordinal));
        found.Should().Contain(v => v.StartsWith("tenancy", StringComparison.Ordinal), "a record of another tenant");
        found.Should().Contain(v => v.Contains("no intent record of it is durable", StringComparison.Ordinal), "an acknowledgement of nothing");
        found.Should().Contain(v => v.StartsWith("liveness", StringComparison.Ordinal), "a saga that never ended");
        ReliabilitySuite.Record("simulation", "injected violations reported", found.Count + 1, 0);
    }

    private static IEnumerable<int> SeedList()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("SYMPHAINY_SIM_COUNT"), out var asked) ? asked : ReliabilitySuite.Budget(ci: 250, longRun: int.MaxValue);
        var first = int.TryParse(Environment.GetEnvironmentVariable("SYMPHAINY_SIM_FIRST"), out var from) ? from
            : ReliabilitySuite.LongMode ? Environment.TickCount & 0x3FFFFFFF : 1;
        for (var i = 0; i < count; i++)
        {
            yield return first + i;
        }
    }

    private static SimResult RunSeed(int seed, bool injectViolation = false, bool trace = false)
    {
        SimResult? result = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                var world = new SimWorld(seed, injectViolation) { TraceLog = trace ? [] : null };
                result = world.Run(StepsPerSeed) with { TraceLog = world.TraceLog };
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, 64 * 1024 * 1024) { Name = $"simulation seed {seed}", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"seed={seed}: the simulation failed", failure);
        }

        return result!;
    }

    private static string Describe(SimResult result) =>
        $"seed={result.Seed} (rerun: SYMPHAINY_SIM_SEED={result.Seed}) trace={result.TraceHash:x16}: {result.Violations.Count} violations:{Environment.NewLine}  " +
        string.Join(Environment.NewLine + "  ", result.Violations.Take(20));
}

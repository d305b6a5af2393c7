using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Events;
using Symphainy.Intake;
using Symphainy.Projection;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.Reliability.Tests.Crash;
using Symphainy.Sagas;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Records;
using Xunit.Abstractions;

namespace Symphainy.Reliability.Tests.Faults;

/// <summary>
/// Faults injected behind all four ports of an embedded host at once (file log, in-memory hot state, SQLite graph,
/// in-process bus, each wrapped by a seeded fault-injecting decorator): errors, delays, and log appends whose record
/// landed although the append failed. Callers retry with the same idempotency key, as the errors tell them to.
/// </summary>
public sealed class PortFaultTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TenantId Tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f72");
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-faults-ports-");
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("symphainy-faults-rebuild-");

    public void Dispose()
    {
        _data.Delete(recursive: true);
        _scratch.Delete(recursive: true);
    }

    [Fact]
    public async Task Port_faults_reach_callers_typed_and_retryable_one_key_records_one_intent_and_every_acknowledged_saga_completes_once_after_they_clear()
    {
        var seed = CrashSeed.For(nameof(PortFaultTests), output);
        var faults = new Plans(seed);
        var intents = ReliabilitySuite.Budget(240, 4000);
        var acknowledged = new ConcurrentDictionary<string, (SagaId Saga, string Type, long Position)>();
        var refusals = new ConcurrentBag<SymphainyException>();
        var untyped = new ConcurrentBag<Exception>();
        var violations = new List<string>();
        SagaId afterFaults;
        using (var host = await StartAsync(faults))
        {
            var intake = host.Services.GetRequiredService<IIntentIntake>();
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            var events = new ConcurrentQueue<ExecutionEvent>();
            using var listening = new CancellationTokenSource();
            var listener = ListenAsync(host.Services.GetRequiredService<IExecutionEventBus>(), events, listening.Token);
            await Parallel.ForAsync(0, intents, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            {
                var key = $"k{i}";
                var type = i % 2 == 0 ? FaultSagas.Steps : FaultSagas.Timer;
                for (var attempt = 1; attempt <= 100; attempt++)
                {
                    try
                    {
                        var accepted = await intake.SubmitAsync(new Intent(type, Tenant, JsonSerializer.SerializeToElement(new FaultSagas.Input(key)), IdempotencyKey: key), CancellationToken.None);
                        acknowledged[key] = (accepted.Execution, type, accepted.Position);
                        return;
                    }
                    catch (SymphainyException e)
                    {
                        refusals.Add(e);
                        if (!e.IsRetryable)
                        {
                            return;
                        }
                    }
                    catch (Exception e)
                    {
                        untyped.Add(e);
                        return;
                    }
                }
            });

            // The faults clear; the same host goes on: a new intent runs and its events reach the live subscriber, and the
            // host comes to idle (sagas a failed record stopped wait for the restart, recording nothing).
            faults.Off();
            var after = await intake.SubmitAsync(new Intent(FaultSagas.Steps, Tenant, JsonSerializer.SerializeToElement(new FaultSagas.Input("after-faults")), IdempotencyKey: "after-faults"));
            afterFaults = after.Execution;
            acknowledged["after-faults"] = (after.Execution, FaultSagas.Steps, after.Position);
            (await engine.WaitForEndAsync(Tenant, after.Execution).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);
            if (!await Within(engine.WhenIdleAsync(), TimeSpan.FromSeconds(30)))
            {
                violations.Add("the host never came to idle after the faults cleared (its events were not all published)");
            }

            if (!await Until(() => events.Any(e => e.Saga == afterFaults && e.Kind == ExecutionEventKind.SagaCompleted), TimeSpan.FromSeconds(30)))
            {
                violations.Add("the live subscriber never got the end of a saga run after the faults cleared: publishing stopped at a bus failure");
            }

            await listening.CancelAsync();
            await listener;
            await host.StopAsync();
        }

        violations.AddRange(untyped.Select(e => $"a submission failed with an untyped {e.GetType().Name}: {e.Message}"));
        violations.AddRange(refusals.Where(e => !e.IsRetryable).Select(e => $"a submission was refused for good by a passing fault: {e.Code}"));
        output.WriteLine($"{acknowledged.Count} of {intents + 1} acknowledged; {refusals.Count} typed refusals ({string.Join(", ", refusals.GroupBy(r => r.Code).Select(g => $"{g.Key} x{g.Count()}"))}); " +
            $"injected: log {faults.Wal.Failures} errors/{faults.Wal.Delays} delays, hot state {faults.Hot.Failures}/{faults.Hot.Delays}, graph {faults.Graph.Failures}/{faults.Graph.Delays}, bus {faults.Bus.Failures}/{faults.Bus.Delays}");

        // The faults are gone: a restart resumes every acknowledged saga that a failed record stopped, and runs it to its end once.
        using (var host = await StartAsync(null))
        {
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            foreach (var (key, (saga, type, _)) in acknowledged)
            {
                var end = await engine.WaitForEndAsync(Tenant, saga).WaitAsync(TimeSpan.FromSeconds(60));
                if (end.State != SagaState.Completed)
                {
                    violations.Add($"saga {saga} of key {key} ended {end.State}: {end.Error?.Code}");
                }
            }

            var wal = host.Services.GetRequiredService<IWriteAheadLog>();
            await host.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(wal.NextPosition - 1).WaitAsync(TimeSpan.FromSeconds(60));
            await host.StopAsync();
        }

        await using (var wal = new FileWriteAheadLog(Path.Combine(_data.FullName, "wal"), new WalOptions(), TimeProvider.System))
        {
            var report = await LogAudit.AuditAsync(wal, acknowledged.Values.ToDictionary(a => a.Saga, a => (a.Type, a.Position)), requireEnded: true);
            violations.AddRange(report.Violations);
            var keys = new Dictionary<string, int>();
            await foreach (var record in wal.ReadAsync(wal.FirstPosition))
            {
                if (record.Kind == WalRecordKind.IntentReceived && WalPayloadCodec.Decode(record) is IntentReceivedPayload { IdempotencyKey: { } key })
                {
                    keys[key] = keys.GetValueOrDefault(key) + 1;
                }
            }

            violations.AddRange(keys.Where(k => k.Value > 1).Select(k => $"idempotency key {k.Key} has {k.Value} intent records: one key must mean one recorded intent"));
            var (graph, checkpoint, _) = await GraphAudit.CompareAsync(wal, Path.Combine(_data.FullName, "state-graph.db"), _scratch.FullName);
            violations.AddRange(graph);
            if (checkpoint != report.LastPosition)
            {
                violations.Add($"the graph was projected up to {checkpoint}, the log ends at {report.LastPosition}");
            }
        }

        var injected = faults.All.Sum(p => p.Failures + p.Delays);
        ReliabilitySuite.Record("faults (ports)", "faults injected (errors and delays)", injected, violations.Count);
        ReliabilitySuite.Record("faults (ports)", "acknowledged intents checked", acknowledged.Count, 0);
        violations.Should().BeEmpty($"seed {seed}");
        faults.Wal.Failures.Should().BeGreaterThan(0, "the log failed appends");
        faults.Bus.Failures.Should().BeGreaterThan(0, "the bus failed publishes");
        faults.Graph.Failures.Should().BeGreaterThan(0, "the graph failed writes");
        faults.Hot.Failures.Should().BeGreaterThan(0, "the hot state failed calls");
    }

    private static async Task ListenAsync(IExecutionEventBus bus, ConcurrentQueue<ExecutionEvent> events, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await foreach (var executionEvent in bus.SubscribeAsync(Tenant, null, cancellationToken))
            {
                events.Enqueue(executionEvent);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<bool> Within(Task task, TimeSpan timeout)
    {
        await Task.WhenAny(task, Task.Delay(timeout));
        return task.IsCompletedSuccessfully;
    }

    private static async Task<bool> Until(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    private async Task<IHost> StartAsync(Plans? faults)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _data.FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:DataDirectory"] = _data.FullName,
            ["Symphainy:Sagas:EndedSagasKept"] = "1000000",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<FaultSagas.Work>();
        builder.Services.AddSingleton<IWalRetentionHold>(new KeepEverything());
        if (faults is not null)
        {
            builder.Services.AddSingleton<IWriteAheadLog>(sp => new FaultyWriteAheadLog(new FileWriteAheadLog(Path.Combine(_data.FullName, "wal"), new WalOptions(), sp.GetRequiredService<TimeProvider>()), faults.Wal));
            builder.Services.AddSingleton<IHotStateStore>(sp => new FaultyHotStateStore(new InMemoryHotStateStore(sp.GetRequiredService<TimeProvider>()), faults.Hot));
            builder.Services.AddSingleton<IStateGraph>(_ => new FaultyStateGraph(new SqliteStateGraph(Path.Combine(_data.FullName, "state-graph.db")), faults.Graph));
            builder.Services.AddSingleton<IExecutionEventBus>(new FaultyEventBus(new InProcessExecutionEventBus(), faults.Bus));
        }

        builder.Services.AddSymphainy(symphainy => symphainy
            .AddCapability<FaultSagas.StepsSaga>(FaultSagas.Steps, "faults", "three steps")
            .AddCapability<FaultSagas.TimerSaga>(FaultSagas.Timer, "faults", "a timer between two steps"));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private sealed class KeepEverything : IWalRetentionHold
    {
        public long RetainFrom => 1;
    }

    /// <summary>One plan per port, each seeded from the run's seed.</summary>
    private sealed class Plans(int seed)
    {
        public FaultPlan Wal { get; } = new(seed) { ErrorRate = 0.06, AfterWriteRate = 0.5, LatencyRate = 0.2, MaxLatency = TimeSpan.FromMilliseconds(10) };

        public FaultPlan Hot { get; } = new(seed + 1) { ErrorRate = 0.06, LatencyRate = 0.2, MaxLatency = TimeSpan.FromMilliseconds(5) };

        public FaultPlan Graph { get; } = new(seed + 2) { ErrorRate = 0.3, LatencyRate = 0.3, MaxLatency = TimeSpan.FromMilliseconds(20) };

        public FaultPlan Bus { get; } = new(seed + 3) { ErrorRate = 0.03, LatencyRate = 0.2, MaxLatency = TimeSpan.FromMilliseconds(5) };

        public IEnumerable<FaultPlan> All => [Wal, Hot, Graph, Bus];

        public void Off()
        {
            foreach (var plan in All)
            {
                plan.Enabled = false;
            }
        }
    }
}

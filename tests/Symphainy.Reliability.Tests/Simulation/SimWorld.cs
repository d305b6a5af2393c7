using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Events;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.State;
using Symphainy.Wal;

namespace Symphainy.Reliability.Tests.Simulation;

internal enum SimFault
{
    None,
    WalAppendFails,
    HotStateFailsBefore,
    HotStateFailsAfter,
    HotStateSlow,
    BusFails,
    BusSlow,
    StepFailsTransiently,
    StepFailsForGood,
}

/// <summary>What one seed did and found.</summary>
internal sealed record SimResult(int Seed, ulong TraceHash, SimStats Stats, IReadOnlyList<string> Violations)
{
    public List<string>? TraceLog { get; init; }
}

internal sealed class SimStats
{
    /// <summary>Simulated steps: each is one choice of the simulator (run one queued continuation, complete one port
    /// operation, flush the log, start a caller, cancel a caller, move the clock, crash, stop or dispose the host).</summary>
    public long Steps { get; set; }

    public long Dispatches { get; set; }

    public long PortCompletions { get; set; }

    public long Flushes { get; set; }

    public long Callers { get; set; }

    public long Acknowledged { get; set; }

    public long Faults { get; set; }

    public long Crashes { get; set; }

    public long Stops { get; set; }

    public long Disposals { get; set; }

    public long Incarnations { get; set; }

    public long StartFailures { get; set; }

    public long ForeignHops { get; set; }

    public long SettleTimeouts { get; set; }

    public long SettleTicks { get; set; }

    public long BuildTicks { get; set; }

    public long ProviderTicks { get; set; }

    public long HostedTicks { get; set; }

    public long SettleWaits { get; set; }

    public long Sagas { get; set; }

    public long Records { get; set; }

    public long EventsChecked { get; set; }
}

/// <summary>
/// The deterministic simulation of one seed: the whole Runtime (intake, idempotency keys, the saga engine, recovery,
/// the event publisher, retention) as a real service provider on simulated ports (<see cref="SimWal"/>,
/// <see cref="SimHotStore"/>, <see cref="SimBus"/>), a <see cref="FakeTimeProvider"/> the simulator moves, and the
/// <see cref="SimScheduler"/> as the engine's scheduler and the callers' one, all on one thread. Every choice (which
/// continuation runs, which port operation completes, whether it fails, when the log flushes, when a caller arrives or
/// cancels, when the process crashes, stops or is disposed) comes from one seeded <see cref="Random"/>, so a seed
/// replays identically; the trace hash proves it. After the seed's steps, a last incarnation recovers without faults and
/// runs every recorded saga to its end, and the end invariants are checked.
/// </summary>
internal sealed class SimWorld
{
    public const int MaxPayloadBytes = 4096;
    private const string FlowType = "sim.flow";
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(2);
    private static readonly TenantId[] Tenants = MakeTenants();
    private readonly Lock _rngGate = new();
    private readonly Random _rng;
    private readonly List<string> _violations = [];
    private readonly List<Caller> _callers = [];
    private readonly List<(TenantId Tenant, string Key)> _keys = [];
    private readonly List<SagaId> _sagaOrder = [];
    private readonly double _chaos;
    private readonly bool _injectViolation;
    private Incarnation? _current;
    private ulong _trace = 14695981039346656037UL;
    private int _nextCaller = 1;

    public SimWorld(int seed, bool injectViolation = false)
    {
        Seed = seed;
#pragma warning disable CA5394 // Not security: the seed's choices.
        _rng = new Random(seed);
        _chaos = _rng.NextDouble() * 2;
        DurableHotState = _rng.Next(2) == 0;
#pragma warning restore CA5394
        _injectViolation = injectViolation;
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
        Checker = new SimChecker(Violation);
        if (DurableHotState)
        {
            Disk.DurableHotState = new InMemoryHotStateStore(Clock);
        }
    }

    public int Seed { get; }

    public int MaxRecordBytes { get; } = 16 * 1024;

    public FakeTimeProvider Clock { get; }

    public SimChecker Checker { get; }

    public SimDisk Disk { get; } = new();

    public SimStats Stats { get; } = new();

    public bool DurableHotState { get; }

    public bool FaultsOn { get; private set; } = true;

    /// <summary>Whether the current incarnation is still starting (recovering).</summary>
    public bool Starting => _current?.Starting is { IsCompleted: false };

    /// <summary>Runs the seed: <paramref name="steps"/> simulated steps, then a clean recovery to the end.</summary>
    public SimResult Run(int steps)
    {
        ForeignWork.Enter();
        SimTag.Set(0);
        try
        {
            StartIncarnation();
            while (Stats.Steps < steps)
            {
                Step();
            }

            Finish();
        }
        catch (Exception e)
        {
            Violation($"the simulation itself failed: {e}");
        }
        finally
        {
            _current?.Kill();
            ForeignWork.Settle(2, SettleLimit);
            ForeignWork.Leave();
        }

        Stats.Sagas = Checker.Sagas.Count;
        Stats.Records = Checker.DurableRecords;
        Stats.EventsChecked = Checker.EventsChecked;
        return new SimResult(Seed, _trace, Stats, _violations);
    }

    public void Violation(string what)
    {
        lock (_violations)
        {
            _violations.Add(what);
        }
    }

    /// <summary>When set, every traced event is kept too, to find where two runs of a seed part.</summary>
    public List<string>? TraceLog { get; set; }

    public void Trace(string what, long a = 0, long b = 0)
    {
        TraceLog?.Add($"{Stats.Steps} {what} {a} {b} pool={Stats.ForeignHops}");
        var hash = _trace;
        foreach (var c in what)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = (hash ^ (ulong)a) * 1099511628211UL;
        hash = (hash ^ (ulong)b) * 1099511628211UL;
        _trace = hash;
    }

    public int Next(int bound)
    {
        lock (_rngGate)
        {
#pragma warning disable CA5394
            return _rng.Next(bound);
#pragma warning restore CA5394
        }
    }

    public bool Chance(double p)
    {
        lock (_rngGate)
        {
#pragma warning disable CA5394
            return _rng.NextDouble() < p;
#pragma warning restore CA5394
        }
    }

    public bool Fault(SimFault fault)
    {
        if (!FaultsOn)
        {
            return false;
        }

        var p = fault switch
        {
            SimFault.WalAppendFails => 0.004,
            SimFault.BusFails => 0.001,
            SimFault.BusSlow => 0.1,
            _ => 0,
        };
        if (!Chance(p * _chaos))
        {
            return false;
        }

        Stats.Faults++;
        Trace("fault", (long)fault);
        return true;
    }

    public SimFault HotStateFault()
    {
        if (!FaultsOn)
        {
            return SimFault.None;
        }

        // Recovery restores every idempotency key of the window; a failure fails the start, which is retried. Rarer
        // there, so that seeds spend their steps on running hosts rather than on starts.
        var roll = Next(10_000) / 10_000.0 / Math.Max(_chaos, 0.01) * (Starting ? 8 : 1);
        var fault = roll switch
        {
            < 0.01 => SimFault.HotStateFailsBefore,
            < 0.02 => SimFault.HotStateFailsAfter,
            < 0.2 => SimFault.HotStateSlow,
            _ => SimFault.None,
        };
        if (fault != SimFault.None)
        {
            Stats.Faults++;
            Trace("fault", (long)fault);
        }

        return fault;
    }

    public SimFault StepFault()
    {
        if (!FaultsOn)
        {
            return SimFault.None;
        }

        var roll = Next(10_000) / 10_000.0 / Math.Max(_chaos, 0.01);
        var fault = roll switch
        {
            < 0.015 => SimFault.StepFailsForGood,
            < 0.08 => SimFault.StepFailsTransiently,
            _ => SimFault.None,
        };
        if (fault != SimFault.None)
        {
            Stats.Faults++;
            Trace("fault", (long)fault);
        }

        return fault;
    }

    /// <summary>A step's work: done at once, or waiting for the simulator (time passes inside the step).</summary>
    public Task WorkAsync(CancellationToken cancellationToken)
    {
        if (!FaultsOn || Chance(0.5))
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource();
        var registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        Pending(_current?.Scheduler, "work", () =>
        {
            registration.Dispose();
            done.TrySetResult();
        });
        return done.Task;
    }

    /// <summary>Whether a port belongs to a process that is gone (its operations never answer).</summary>
    public bool IsDead(object port)
    {
        var current = Volatile.Read(ref _current);
        return current is null || current.Dead || !current.Owns(port);
    }

    /// <summary>Registers an operation the simulator completes later, at top level, when it chooses to.</summary>
    public void Pending(object? owner, string what, Action complete)
    {
        var current = Volatile.Read(ref _current);
        if (owner is null || current is null || current.Dead || !current.Owns(owner))
        {
            return;
        }

        current.AddOp(new PendingOp(what, complete));
    }

    public void OnDurable(WalRecord record, bool acknowledged)
    {
        Trace(acknowledged ? "durable" : "landed", record.Position, (long)record.Kind);
        if (record.Kind == WalRecordKind.IntentReceived && record.Saga is { } saga)
        {
            _sagaOrder.Add(saga);
        }

        Checker.OnDurable(record);
    }

    private void Step()
    {
        Settle();
        var inc = _current!;
        if (inc.Stopping is { IsCompleted: true })
        {
            EndGracefully(inc);
            StartIncarnation();
            return;
        }

        var open = inc.Stopping is null;
        var inFlight = _callers.Count(c => !c.Done);
        Span<double> weights =
        [
            inc.Scheduler.Count > 0 ? 50 : 0,          // 0 dispatch
            inc.OpCount > 0 ? 25 : 0,                  // 1 complete a port operation
            inc.Wal.Unsynced > 0 ? 20 : 0,             // 2 flush the log
            inFlight < 8 ? (open ? 8 : 1) : 0,         // 3 a new submission
            _sagaOrder.Count > 0 ? 3 : 0,              // 4 a signal or a cancellation
            _sagaOrder.Count > 0 ? 1.5 : 0,            // 5 queries across tenants
            inFlight > 0 ? 2 : 0,                      // 6 a caller cancels
            4,                                         // 7 time passes
            0.08,                                      // 8 crash
            open ? 0.04 : 0,                           // 9 graceful stop
            open ? 0.04 : 0,                           // 10 dispose without stop
        ];
        var action = Pick(weights);
        Stats.Steps++;
        Trace("step", action);
        switch (action)
        {
            case 0:
                Dispatch(inc);
                break;
            case 1:
                CompleteOp(inc);
                break;
            case 2:
                Stats.Flushes++;
                inc.Wal.Flush(1 + Next(inc.Wal.Unsynced));
                break;
            case 3:
                Submit(inc);
                break;
            case 4:
                Control(inc, Tenants.Length);
                break;
            case 5:
                Query(inc);
                break;
            case 6:
                var waiting = _callers.Where(c => !c.Done).ToList();
                var chosen = waiting[Next(waiting.Count)];
                Trace("cancel-caller", chosen.Id);
                chosen.Cancellation.Cancel();
                break;
            case 7:
                Advance();
                break;
            case 8:
                Crash(inc);
                StartIncarnation();
                break;
            case 9:
                Stats.Stops++;
                inc.Stopping = StopHostAsync(inc, stop: true);
                break;
            case 10:
                Stats.Disposals++;
                inc.Stopping = StopHostAsync(inc, stop: false);
                break;
        }
    }

    private int Pick(ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (var w in weights)
        {
            total += w;
        }

        var roll = Next(1_000_000) / 1_000_000.0 * total;
        for (var i = 0; i < weights.Length; i++)
        {
            if (roll < weights[i])
            {
                return i;
            }

            roll -= weights[i];
        }

        return weights.Length - 1;
    }

    private void Dispatch(Incarnation inc)
    {
        Stats.Dispatches++;
        inc.Scheduler.RunOne(Next);
    }

    private void CompleteOp(Incarnation inc)
    {
        if (inc.TakeOp(Next) is { } op)
        {
            Stats.PortCompletions++;
            Trace(op.What);
            op.Complete();
        }
    }

    private void Advance()
    {
        var roll = Next(100);
        var by = roll < 50 ? TimeSpan.FromMilliseconds(1 + Next(200))
            : roll < 90 ? TimeSpan.FromMilliseconds(200 + Next(3000))
            : TimeSpan.FromSeconds(5 + Next(60));
        Trace("advance", (long)by.TotalMilliseconds);
        Clock.Advance(by);
    }

    /// <summary>Waits until work that hopped to other threads is done, then takes what it queued, in actor order.</summary>
    private void Settle()
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            SettleCore();
        }
        finally
        {
            Stats.SettleTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;
        }
    }

    private void SettleCore()
    {
        var inc = _current;
        if (!ForeignWork.IsQuiet)
        {
            Stats.SettleWaits++;
        }

        if (!ForeignWork.Settle(inc?.Stopping is null ? 2 : 6, SettleLimit))
        {
            Stats.SettleTimeouts++;
        }

        if (inc is not null)
        {
            Stats.ForeignHops += inc.AbsorbForeign();
        }
    }

    private void StartIncarnation()
    {
        for (var attempt = 0; ; attempt++)
        {
            Settle();
            var building = System.Diagnostics.Stopwatch.GetTimestamp();
            var inc = Build();
            Stats.BuildTicks += System.Diagnostics.Stopwatch.GetTimestamp() - building;
            Volatile.Write(ref _current, inc);
            Stats.Incarnations++;
            Trace("start", inc.Number);
            inc.Starting = RunOnScheduler(inc, 0, async () =>
            {
                foreach (var hosted in inc.Hosted)
                {
                    await hosted.StartAsync(CancellationToken.None);
                }
            });

            var crashed = false;
            var budget = 200_000;
            while (!inc.Starting.IsCompleted && budget-- > 0)
            {
                Settle();
                Span<double> weights =
                [
                    inc.Scheduler.Count > 0 ? 50 : 0,
                    inc.OpCount > 0 ? 25 : 0,
                    inc.Wal.Unsynced > 0 ? 20 : 0,
                    1,
                    FaultsOn ? 0.05 : 0,
                ];
                var action = Pick(weights);
                Stats.Steps++;
                Trace("starting", action);
                switch (action)
                {
                    case 0:
                        Dispatch(inc);
                        break;
                    case 1:
                        CompleteOp(inc);
                        break;
                    case 2:
                        inc.Wal.Flush(1 + Next(inc.Wal.Unsynced));
                        break;
                    case 3:
                        Advance();
                        break;
                    case 4:
                        Crash(inc); // a crash during recovery
                        crashed = true;
                        break;
                }

                if (crashed)
                {
                    break;
                }
            }

            if (crashed)
            {
                continue;
            }

            if (!inc.Starting.IsCompleted)
            {
                Violation("start: the host did not finish starting");
                throw new InvalidOperationException("stuck start");
            }

            if (inc.Starting.Exception is { } failed)
            {
                Stats.StartFailures++;
                Trace("start-failed", attempt);
                if (failed.InnerException is not SymphainyException { Code: "sim.state_unavailable" })
                {
                    Violation($"start: the host failed to start with {failed.InnerException}");
                }

                Crash(inc);
                if (attempt > 50)
                {
                    Violation("start: the host failed to start 50 times in a row");
                    throw new InvalidOperationException("no start");
                }

                continue;
            }

            inc.Intake = inc.Services.GetRequiredService<IIntentIntake>();
            inc.Engine = inc.Services.GetRequiredService<ISagaEngine>();
            return;
        }
    }

    private Incarnation Build()
    {
        var scheduler = new SimScheduler(Environment.CurrentManagedThreadId);
        var inc = new Incarnation((int)Stats.Incarnations + 1, scheduler);
        inc.Wal = new SimWal(this, Disk);
        inc.Hot = new SimHotStore(this, Disk.DurableHotState ?? new InMemoryHotStateStore(Clock));
        inc.Bus = new SimBus(this);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddSingleton<IRandomSource>(new SeededRandomSource(Next(int.MaxValue)));
        services.AddSingleton<IWriteAheadLog>(inc.Wal);
        services.AddSingleton<IHotStateStore>(inc.Hot);
        services.AddSingleton<IExecutionEventBus>(inc.Bus);
        services.AddSingleton(new SagaScheduler(scheduler));
        services.AddSingleton(new SimWork(this));
        new SymphainyBuilder(services)
            .AddRuntime(o =>
            {
                o.Intake.MaxPayloadBytes = MaxPayloadBytes;
                o.Wal.MaxRecordBytes = MaxRecordBytes;
                o.Sagas.EndedSagasKept = 100_000;
            })
            .AddCapability<SimFlow>(FlowType, "sim", "Simulated work: steps, a timer, a signal, compensations.");
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        inc.Services = services.BuildServiceProvider();
        var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        inc.Hosted = [.. inc.Services.GetServices<IHostedService>()];
        var t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        Stats.ProviderTicks += t1 - t0;
        Stats.HostedTicks += t2 - t1;
        return inc;
    }

    private void Crash(Incarnation inc)
    {
        Stats.Crashes++;
        var landed = Next(inc.Wal.Unsynced + 1);
        Trace("crash", landed);
        inc.Kill();
        inc.Wal.Crash(landed);
        foreach (var caller in _callers.Where(c => c.Incarnation == inc))
        {
            caller.Done = true; // it died with the process: whatever it was told does not matter any more
        }

        _callers.RemoveAll(c => c.Done);
    }

    private async Task StopHostAsync(Incarnation inc, bool stop)
    {
        Trace(stop ? "stop" : "dispose");
        if (stop)
        {
            foreach (var hosted in inc.Hosted.Reverse())
            {
                await hosted.StopAsync(CancellationToken.None);
            }
        }

        await inc.Services.DisposeAsync();
        inc.Wal.Close();
    }

    private void EndGracefully(Incarnation inc)
    {
        if (inc.Stopping!.Exception is { } failed)
        {
            Violation($"stop: stopping or disposing the host failed: {failed.InnerException}");
        }

        Trace("stopped");
        inc.Kill();
        foreach (var caller in _callers.Where(c => c.Incarnation == inc))
        {
            caller.Done = true;
        }

        _callers.RemoveAll(c => c.Done);
    }

    private Task RunOnScheduler(Incarnation inc, int tag, Func<Task> body) =>
        Task.Factory.StartNew(
            () =>
            {
                SimTag.Set(tag);
                return body();
            },
            CancellationToken.None,
            TaskCreationOptions.DenyChildAttach,
            inc.Scheduler).Unwrap();

    private void Submit(Incarnation inc)
    {
        var tenant = Tenants[Next(Tenants.Length)];
        var variant = Next(100);
        var caller = NewCaller(inc);
        string type = FlowType;
        JsonElement payload;
        string? key = null;
        var bad = false;
        if (variant < 85)
        {
            var input = new FlowInput(
                Steps: Next(5),
                NapAfter: Next(5) - 1,
                NapMs: Next(3) == 0 ? 0 : 1 + Next(2000),
                Wait: Next(5) == 0,
                WaitTimeoutMs: Next(2) == 0 ? 0 : 1 + Next(5000),
                Compensate: Next(2) == 0,
                BigBytes: Next(20) == 0 ? MaxRecordBytes * 2 : 0);
            payload = JsonSerializer.SerializeToElement(input, SimChecker.Json);
            var keyed = Next(10);
            if (keyed < 4)
            {
                key = $"k{caller.Id}";
                _keys.Add((tenant, key));
            }
            else if (keyed < 6 && _keys.Count > 0)
            {
                (tenant, key) = _keys[Next(_keys.Count)]; // the same key again: concurrent, or after the first ended
                key = Next(4) == 0 ? $"  {key} " : key;    // normalized the same way
            }
        }
        else if (variant < 90)
        {
            bad = true;
            payload = JsonSerializer.SerializeToElement(new { steps = 1, pad = new string('p', MaxPayloadBytes + 100) });
        }
        else if (variant < 95)
        {
            bad = true;
            type = "sim.nothing";
            payload = JsonSerializer.SerializeToElement(new { steps = 1 });
        }
        else
        {
            bad = true;
            payload = JsonSerializer.SerializeToElement(new { steps = "many" });
        }

        if (Next(10) == 0)
        {
            caller.Cancellation.Cancel(); // cancelled before it is even submitted
        }

        var intent = new Intent(type, tenant, payload, IdempotencyKey: key);
        Trace("submit", caller.Id, variant);
        caller.Task = RunOnScheduler(inc, caller.Id, async () =>
        {
            try
            {
                var accepted = await inc.Intake.SubmitAsync(intent, caller.Cancellation.Token);
                Trace("acked", caller.Id, accepted.Position);
                if (bad)
                {
                    Violation($"intake: caller {caller.Id} had a bad intent ({type}) acknowledged");
                }

                Stats.Acknowledged++;
                Checker.OnAcknowledged(caller.Id, intent, accepted);
            }
            catch (Exception e)
            {
                Answered(caller, e);
            }
            finally
            {
                caller.Done = true;
            }
        });
    }

    private void Answered(Caller caller, Exception e)
    {
        switch (e)
        {
            case SymphainyException typed:
                Trace("refused", caller.Id, typed.Code.Length);
                break;
            case OperationCanceledException when caller.Cancellation.IsCancellationRequested:
                Trace("cancelled", caller.Id);
                break;
            case OperationCanceledException:
                Violation($"caller {caller.Id} saw a cancellation it did not ask for: {e}");
                break;
            default:
                Violation($"caller {caller.Id} saw {e.GetType().Name}, not a SymphainyException: {e}");
                break;
        }
    }

    private void Control(Incarnation inc, int tenants)
    {
        var saga = Checker.Sagas[_sagaOrder[Next(_sagaOrder.Count)]];
        var wrongTenant = Next(10) == 0;
        var tenant = wrongTenant ? Tenants.First(t => t != saga.Tenant) : saga.Tenant;
        var signal = Next(10) < 7;
        var caller = NewCaller(inc);
        var intent = signal
            ? new Intent(BuiltInIntents.Signal, tenant, JsonSerializer.SerializeToElement(new { sagaId = saga.Id.ToString(), name = "go", value = Next(100) }))
            : new Intent(BuiltInIntents.Cancel, tenant, JsonSerializer.SerializeToElement(new { sagaId = saga.Id.ToString(), reason = "simulated" }));
        Trace("control", caller.Id, signal ? 1 : 2 + tenants);
        caller.Task = RunOnScheduler(inc, caller.Id, async () =>
        {
            try
            {
                var accepted = await inc.Intake.SubmitAsync(intent, caller.Cancellation.Token);
                Trace("control-acked", caller.Id, accepted.Position);
                if (wrongTenant)
                {
                    Violation($"tenancy: tenant {tenant} {(signal ? "signalled" : "cancelled")} saga {saga.Id} of tenant {saga.Tenant}");
                }
            }
            catch (Exception e)
            {
                Answered(caller, e);
            }
            finally
            {
                caller.Done = true;
            }
        });
    }

    private void Query(Incarnation inc)
    {
        var saga = Checker.Sagas[_sagaOrder[Next(_sagaOrder.Count)]];
        var other = Tenants.First(t => t != saga.Tenant);
        var caller = NewCaller(inc);
        Trace("query", caller.Id);
        caller.Task = RunOnScheduler(inc, caller.Id, async () =>
        {
            try
            {
                if (await inc.Engine.GetAsync(other, saga.Id) is { } leaked)
                {
                    Violation($"tenancy: tenant {other} can read saga {saga.Id} of tenant {saga.Tenant}: {leaked}");
                }

                if (await inc.Engine.GetAsync(saga.Tenant, saga.Id) is { } own && (own.Tenant != saga.Tenant || own.Id != saga.Id))
                {
                    Violation($"query: asked for saga {saga.Id} of tenant {saga.Tenant}, got {own.Id} of {own.Tenant}");
                }

                foreach (var tenant in Tenants)
                {
                    foreach (var active in inc.Engine.ListActive(tenant))
                    {
                        if (active.Tenant != tenant)
                        {
                            Violation($"tenancy: the active sagas of tenant {tenant} list saga {active.Id} of tenant {active.Tenant}");
                        }
                    }
                }

                if (_injectViolation && Checker.Sagas.Count > 3)
                {
                    // The checker's own check: a leak it must report (see the test that proves the checks can fail).
                    Violation($"tenancy: injected leak of saga {saga.Id} to tenant {other}");
                }
            }
            catch (Exception e)
            {
                Answered(caller, e);
            }
            finally
            {
                caller.Done = true;
            }
        });
    }

    private Caller NewCaller(Incarnation inc)
    {
        var caller = new Caller(_nextCaller++, inc);
        _callers.Add(caller);
        _callers.RemoveAll(c => c.Done);
        Stats.Callers++;
        return caller;
    }

    /// <summary>
    /// The end of the seed: the process goes away (crash or stop), a last incarnation recovers with every fault off,
    /// and the simulator drives it (clock, signals for waiting sagas) until every recorded saga ended.
    /// </summary>
    private void Finish()
    {
        var inc = _current!;
        if (inc.Stopping is null && Next(2) == 0)
        {
            inc.Stopping = StopHostAsync(inc, stop: Next(2) == 0);
        }

        var budget = 200_000;
        while (inc.Stopping is { IsCompleted: false } && budget-- > 0)
        {
            Settle();
            if (!Drain(inc, 1))
            {
                Advance();
            }
        }

        if (inc.Stopping is { IsCompleted: true })
        {
            EndGracefully(inc);
        }
        else
        {
            if (inc.Stopping is not null)
            {
                Violation("stop: the host did not finish stopping although the simulator completed everything it waited for");
            }

            Crash(inc);
        }

        FaultsOn = false;
        Trace("final");
        StartIncarnation();
        inc = _current!;
        for (var round = 0; round < 400 && !Checker.AllEnded; round++)
        {
            Quiesce(inc);
            foreach (var waiting in inc.Engine.ListActive().Where(s => s.State == SagaState.Waiting && s.CurrentStep == "go").OrderBy(s => s.Id.Value))
            {
                var caller = NewCaller(inc);
                var intent = new Intent(BuiltInIntents.Signal, waiting.Tenant, JsonSerializer.SerializeToElement(new { sagaId = waiting.Id.ToString(), name = "go", value = 7 }));
                caller.Task = RunOnScheduler(inc, caller.Id, async () =>
                {
                    try
                    {
                        await inc.Intake.SubmitAsync(intent);
                    }
                    catch (Exception e)
                    {
                        Answered(caller, e);
                    }
                    finally
                    {
                        caller.Done = true;
                    }
                });
            }

            Quiesce(inc);
            Clock.Advance(TimeSpan.FromSeconds(30));
        }

        Quiesce(inc);
        Checker.CheckEnd(MaxRecordBytes, saga => inc.Engine.GetAsync(saga.Tenant, saga.Id).AsTask() is { IsCompletedSuccessfully: true } found ? found.Result : null);
        if (_callers.Any(c => !c.Done))
        {
            Violation($"liveness: {_callers.Count(c => !c.Done)} callers of the last, fault-free incarnation never got an answer");
        }
    }

    private void Quiesce(Incarnation inc)
    {
        var budget = 1_000_000;
        while (budget-- > 0)
        {
            Settle();
            if (!Drain(inc, 1))
            {
                return;
            }
        }

        Violation("liveness: the last incarnation never went quiet");
    }

    // One step of what is runnable now (a continuation, a port operation, a flush), chosen by the seed; false when none.
    private bool Drain(Incarnation inc, int _)
    {
        Span<double> weights =
        [
            inc.Scheduler.Count > 0 ? 50 : 0,
            inc.OpCount > 0 ? 25 : 0,
            inc.Wal.Unsynced > 0 ? 20 : 0,
        ];
        if (weights[0] + weights[1] + weights[2] == 0)
        {
            return false;
        }

        Stats.Steps++;
        switch (Pick(weights))
        {
            case 0:
                Dispatch(inc);
                break;
            case 1:
                CompleteOp(inc);
                break;
            default:
                inc.Wal.Flush(1 + Next(inc.Wal.Unsynced));
                break;
        }

        return true;
    }

    private static TenantId[] MakeTenants()
    {
        var ids = new IdGenerator(new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), new SeededRandomSource(20260701));
        return [ids.Next<TenantId>(), ids.Next<TenantId>(), ids.Next<TenantId>()];
    }

    private sealed record PendingOp(string What, Action Complete);

    private sealed class Caller(int id, Incarnation incarnation)
    {
        public int Id { get; } = id;

        public Incarnation Incarnation { get; } = incarnation;

        public CancellationTokenSource Cancellation { get; } = new();

        public Task? Task { get; set; }

        public bool Done { get; set; }
    }

    /// <summary>One life of the simulated process: its ports, its services, its scheduler and its pending operations.</summary>
    private sealed class Incarnation(int number, SimScheduler scheduler)
    {
        private readonly Lock _gate = new();
        private readonly List<PendingOp> _ops = [];
        private readonly List<(int Tag, int Sequence, PendingOp Op)> _foreign = [];
        private readonly int _thread = Environment.CurrentManagedThreadId;

        public int Number { get; } = number;

        public SimScheduler Scheduler { get; } = scheduler;

        public SimWal Wal { get; set; } = null!;

        public SimHotStore Hot { get; set; } = null!;

        public SimBus Bus { get; set; } = null!;

        public ServiceProvider Services { get; set; } = null!;

        public IHostedService[] Hosted { get; set; } = [];

        public IIntentIntake Intake { get; set; } = null!;

        public ISagaEngine Engine { get; set; } = null!;

        public Task? Starting { get; set; }

        public Task? Stopping { get; set; }

        public bool Dead { get; private set; }

        public int OpCount
        {
            get
            {
                lock (_gate)
                {
                    return _ops.Count;
                }
            }
        }

        public bool Owns(object port) => ReferenceEquals(port, Wal) || ReferenceEquals(port, Hot) || ReferenceEquals(port, Bus) || ReferenceEquals(port, Scheduler);

        public void AddOp(PendingOp op)
        {
            lock (_gate)
            {
                if (Dead)
                {
                    return;
                }

                if (Environment.CurrentManagedThreadId != _thread)
                {
                    _foreign.Add((SimTag.Current, _foreign.Count, op));
                }
                else
                {
                    _ops.Add(op);
                }
            }
        }

        public PendingOp? TakeOp(Func<int, int> choose)
        {
            lock (_gate)
            {
                if (_ops.Count == 0)
                {
                    return null;
                }

                var index = choose(_ops.Count);
                var op = _ops[index];
                _ops.RemoveAt(index);
                return op;
            }
        }

        public int AbsorbForeign()
        {
            var tasks = Scheduler.Absorb();
            int ops;
            lock (_gate)
            {
                ops = _foreign.Count;
                _ops.AddRange(_foreign.OrderBy(f => f.Tag).ThenBy(f => f.Sequence).Select(f => f.Op));
                _foreign.Clear();
            }

            return ops + tasks;
        }

        public void Kill()
        {
            lock (_gate)
            {
                Dead = true;
                _ops.Clear();
                _foreign.Clear();
            }

            Scheduler.Kill();
        }
    }
}

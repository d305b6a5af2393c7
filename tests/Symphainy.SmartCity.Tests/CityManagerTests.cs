using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;

namespace Symphainy.SmartCity.Tests;

/// <summary>The City Manager boots realms in dependency order, refuses orders that cannot be, and drains at stop.</summary>
[Collection("CityManager")] // the draining saga's gates are shared by the tests of this class
public sealed class CityManagerTests
{
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly TenantId _tenant = Ids.Next<TenantId>();
    private readonly ConcurrentQueue<string> _lifecycle = new();

    private Action<IServiceCollection> Realms(params (string Name, string[] DependsOn)[] realms) => services =>
    {
        foreach (var (name, dependsOn) in realms)
        {
            services.AddSingleton<IRealmLifecycle>(new TestRealm(name, dependsOn, _lifecycle));
        }
    };

    [Fact]
    public async Task Realms_start_after_the_realms_they_depend_on_and_stop_in_reverse()
    {
        // Registered in an order that would be wrong to boot in.
        var host = await SmartCityHost.StartAsync(services: Realms(("outcomes", ["insights", "content"]), ("insights", ["content"]), ("content", [])));
        var city = host.Services.GetRequiredService<CityManager>();
        city.BootOrder.Should().Equal("content", "insights", "outcomes");
        _lifecycle.Should().Equal("start content", "start insights", "start outcomes");
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "symphainy-city");
        health.Status.Should().Be(HealthStatus.Healthy);
        health.Entries["symphainy-city"].Data["realms"].Should().Be("content, insights, outcomes");

        await host.DisposeAsync();
        _lifecycle.Should().EndWith(["stop outcomes", "stop insights", "stop content"]);
    }

    [Theory]
    [InlineData("cycle")]
    [InlineData("unknown")]
    [InlineData("twice")]
    public async Task Realms_that_cannot_be_ordered_stop_the_host_from_starting(string problem)
    {
        var realms = problem switch
        {
            "cycle" => Realms(("a", ["b"]), ("b", ["c"]), ("c", ["a"])),
            "unknown" => Realms(("a", ["nowhere"])),
            _ => Realms(("a", []), ("a", [])),
        };
        var start = () => SmartCityHost.StartAsync(services: realms);
        var error = (await start.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("city.realm_order_invalid");
        error.Message.Should().Contain(problem switch { "cycle" => "a -> b -> c -> a", "unknown" => "'nowhere'", _ => "registered twice" });
        _lifecycle.Should().BeEmpty("no realm starts");
    }

    [Fact]
    public async Task A_realm_that_fails_to_start_stops_the_host_from_starting_and_the_realms_started_before_it_are_stopped()
    {
        var start = () => SmartCityHost.StartAsync(services: Realms(("content", []), ("broken", ["content"]), ("later", ["broken"])));
        var error = (await start.Should().ThrowAsync<SymphainyException>()).Which;
        error.Code.Should().Be("city.realm_start_failed");
        error.Message.Should().Contain("'broken'");
        _lifecycle.Should().Equal("start content", "start broken", "stop content");
    }

    [Fact]
    public async Task At_stop_intake_refuses_first_the_running_step_finishes_and_is_recorded_and_the_next_step_waits_for_the_restart()
    {
        Draining.Reset();
        var directory = Directory.CreateTempSubdirectory("symphainy-drain-").FullName;
        try
        {
            var host = await StartAsync(directory, deadline: "00:00:30");
            var saga = await SubmitAsync(host, "orders.drain", 5);

            (await Draining.Entered.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue("the first step runs");
            var stopping = host.DisposeAsync().AsTask();

            // Intake refuses while the running step is given time to finish.
            var refused = await RefusedAsync(host);
            refused.Code.Should().Be("host.stopping");
            stopping.IsCompleted.Should().BeFalse("the drain waits for the running step");

            Draining.Open.Release();
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            var recorded = await StepsRecordedAsync(directory, saga);
            recorded.Should().Equal(["first"], "the running step finished and was recorded; the next one did not start");
            Draining.SecondRuns.Should().Be(0);

            await using (var restarted = await StartAsync(directory, deadline: "00:00:30"))
            {
                var ended = await restarted.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
                ended.State.Should().Be(SagaState.Completed);
                ended.Output!.Value.GetInt32().Should().Be(6);
            }

            Draining.FirstRuns.Should().Be(1, "the recorded step is not run again after the restart");
            Draining.SecondRuns.Should().Be(1);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_step_still_running_at_the_drain_deadline_is_cut_recorded_nowhere_and_runs_again_after_the_restart()
    {
        Draining.Reset();
        var directory = Directory.CreateTempSubdirectory("symphainy-drain-").FullName;
        try
        {
            var host = await StartAsync(directory, deadline: "00:00:00.100");
            var saga = await SubmitAsync(host, "orders.drain", 5);

            (await Draining.Entered.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue();
            await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)); // the gate never opens: the deadline passes
            host.Logs.Should().Contain(l => l.Contains("[754]") && l.Contains("1 sagas were still in a step"));
            (await StepsRecordedAsync(directory, saga)).Should().BeEmpty();

            Draining.Open.Release();
            await using (var restarted = await StartAsync(directory, deadline: "00:00:30"))
            {
                var ended = await restarted.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
                ended.State.Should().Be(SagaState.Completed);
            }

            Draining.FirstRuns.Should().Be(2, "cut at the deadline, the step runs again after the restart");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Task<SmartCityHost> StartAsync(string directory, string deadline) =>
        SmartCityHost.StartAsync(new() { ["Symphainy:SmartCity:City:DrainDeadline"] = deadline }, dataDirectory: directory, services: s => new SymphainyBuilder(s)
            .AddCapability<Draining>("orders.drain", "orders", "a first step that waits at a gate, then a second"));

    private async Task<SagaId> SubmitAsync(SmartCityHost host, string type, int order)
    {
        using var _ = SymphainyPrincipal.Use(new SymphainyPrincipal("caller", _tenant, new HashSet<string>()));
        return (await host.Intake.SubmitAsync(new Intent(type, _tenant, JsonSerializer.SerializeToElement(new SmartCityHost.Order(order))))).Execution;
    }

    private async Task<SymphainyException> RefusedAsync(SmartCityHost host)
    {
        // The stop begins on another thread: the refusal comes as soon as the drain started.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await SubmitAsync(host, "orders.place", 1);
            }
            catch (SymphainyException e)
            {
                return e;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "intake refuses once the stop began");
            await Task.Delay(5);
        }
    }

    private static async Task<List<string>> StepsRecordedAsync(string directory, SagaId saga)
    {
        var steps = new List<string>();
        await using var log = new FileWriteAheadLog(Path.Combine(directory, "wal"), new WalOptions(), TimeProvider.System);
        await foreach (var record in log.ReadAsync(1))
        {
            if (record.Saga == saga && record.Kind == WalRecordKind.StepCompleted)
            {
                steps.Add(((Symphainy.Wal.Records.StepCompletedPayload)Symphainy.Wal.Records.WalPayloadCodec.Decode(record)).Name);
            }
        }

        return steps;
    }

    private sealed class TestRealm(string name, string[] dependsOn, ConcurrentQueue<string> lifecycle) : IRealmLifecycle
    {
        public string Realm => name;

        public IReadOnlyCollection<string> DependsOn => dependsOn;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifecycle.Enqueue($"start {name}");
            return name == "broken" ? throw new InvalidOperationException("its store is unreachable") : Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            lifecycle.Enqueue($"stop {name}");
            return Task.CompletedTask;
        }
    }

    /// <summary>A first step that waits at a gate, then a second one; counts how often each ran.</summary>
    public sealed class Draining : Orchestrator<SmartCityHost.Order, int>
    {
        private static int _firstRuns;
        private static int _secondRuns;

        public static SemaphoreSlim Entered { get; private set; } = new(0);

        public static SemaphoreSlim Open { get; private set; } = new(0);

        public static int FirstRuns => Volatile.Read(ref _firstRuns);

        public static int SecondRuns => Volatile.Read(ref _secondRuns);

        public static void Reset()
        {
            (Entered, Open) = (new SemaphoreSlim(0), new SemaphoreSlim(0));
            (_firstRuns, _secondRuns) = (0, 0);
        }

        public override async Task<int> RunAsync(SagaContext saga, SmartCityHost.Order input)
        {
            var first = await saga.Step("first", async cancellationToken =>
            {
                Interlocked.Increment(ref _firstRuns);
                Entered.Release();
                await Open.WaitAsync(cancellationToken);
                return input.Id;
            });
            return await saga.Step("second", _ =>
            {
                Interlocked.Increment(ref _secondRuns);
                return Task.FromResult(first + 1);
            });
        }
    }
}

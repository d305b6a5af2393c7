using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Sessions;

namespace Symphainy.SmartCity.Tests;

/// <summary>
/// When sagas start: the Traffic Cop's per-session ordering and concurrency, the Conductor's cap shared fairly between
/// tenants, and its priorities. Every saga here waits for a signal "go", so it holds its place until the test lets it end.
/// </summary>
public sealed class SagaScheduleTests
{
    private static readonly IdGenerator Ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly TenantId _tenant = Ids.Next<TenantId>();
    private readonly TenantId _other = Ids.Next<TenantId>();

    private static Task<SmartCityHost> StartAsync(Dictionary<string, string?> settings, string? dataDirectory = null) =>
        SmartCityHost.StartAsync(settings, dataDirectory: dataDirectory, services: s => new SymphainyBuilder(s)
            .AddCapability<WaitsForGo>("orders.wait", "orders", "waits for a signal")
            .AddCapability<WaitsForGo>("orders.urgent", "orders", "waits for a signal, urgently"));

    private static async Task<SagaId> SubmitAsync(SmartCityHost host, string type, TenantId tenant, SessionId? session = null)
    {
        using var _ = SymphainyPrincipal.Use(new SymphainyPrincipal("caller", tenant, new HashSet<string>()));
        return (await host.Intake.SubmitAsync(new Intent(type, tenant, JsonSerializer.SerializeToElement(new SmartCityHost.Order(1)), session))).Execution;
    }

    private static async Task<SagaState> StateAsync(SmartCityHost host, TenantId tenant, SagaId saga) =>
        (await host.Services.GetRequiredService<ISagaEngine>().GetAsync(tenant, saga))!.State;

    // Lets a waiting saga end, then waits until everything it let start has reached its own wait.
    private static async Task GoAsync(SmartCityHost host, TenantId tenant, SagaId saga)
    {
        var engine = host.Services.GetRequiredService<ISagaEngine>();
        await engine.SignalAsync(tenant, saga, "go", JsonSerializer.SerializeToElement(1));
        (await engine.WaitForEndAsync(tenant, saga).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);
        await engine.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static Task IdleAsync(SmartCityHost host) => host.Services.GetRequiredService<ISagaEngine>().WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task A_sessions_sagas_run_one_at_a_time_in_the_order_they_were_accepted_and_other_sessions_are_not_held()
    {
        await using var host = await StartAsync(new() { ["Symphainy:SmartCity:Traffic:SessionConcurrency"] = "1" });
        var sessions = host.Services.GetRequiredService<ISessionRegistry>();
        var session = (await sessions.CreateAsync(_tenant)).Id;
        var otherSession = (await sessions.CreateAsync(_tenant)).Id;
        var first = await SubmitAsync(host, "orders.wait", _tenant, session);
        var second = await SubmitAsync(host, "orders.wait", _tenant, session);
        var third = await SubmitAsync(host, "orders.wait", _tenant, session);
        var elsewhere = await SubmitAsync(host, "orders.wait", _tenant, otherSession);
        var noSession = await SubmitAsync(host, "orders.wait", _tenant);
        await IdleAsync(host);

        (await StateAsync(host, _tenant, first)).Should().Be(SagaState.Waiting, "the session's first saga runs (and waits for its signal)");
        (await StateAsync(host, _tenant, second)).Should().Be(SagaState.Pending, "it waits for the first to end");
        (await StateAsync(host, _tenant, third)).Should().Be(SagaState.Pending);
        (await StateAsync(host, _tenant, elsewhere)).Should().Be(SagaState.Waiting, "another session is not held back");
        (await StateAsync(host, _tenant, noSession)).Should().Be(SagaState.Waiting, "an intent without a session is not held back");
        host.Services.GetRequiredService<SagaSchedule>().Queued.Should().Be(2);

        await GoAsync(host, _tenant, first);
        (await StateAsync(host, _tenant, second)).Should().Be(SagaState.Waiting, "the next in acceptance order starts once the first ended");
        (await StateAsync(host, _tenant, third)).Should().Be(SagaState.Pending);

        await GoAsync(host, _tenant, second);
        (await StateAsync(host, _tenant, third)).Should().Be(SagaState.Waiting);
        await GoAsync(host, _tenant, third);
        host.Services.GetRequiredService<SagaSchedule>().Queued.Should().Be(0);
    }

    [Fact]
    public async Task When_running_sagas_are_capped_a_freed_place_goes_to_the_tenant_that_waited_not_to_the_one_that_submitted_a_burst()
    {
        await using var host = await StartAsync(new() { ["Symphainy:SmartCity:Conductor:MaxRunningSagas"] = "1" });
        var a1 = await SubmitAsync(host, "orders.wait", _tenant);
        var a2 = await SubmitAsync(host, "orders.wait", _tenant);
        var a3 = await SubmitAsync(host, "orders.wait", _tenant);
        var b1 = await SubmitAsync(host, "orders.wait", _other);
        await IdleAsync(host);
        (await StateAsync(host, _tenant, a1)).Should().Be(SagaState.Waiting);
        host.Services.GetRequiredService<SagaSchedule>().QueuedFor(_tenant).Should().Be(2);
        host.Services.GetRequiredService<SagaSchedule>().QueuedFor(_other).Should().Be(1);

        await GoAsync(host, _tenant, a1);
        (await StateAsync(host, _other, b1)).Should().Be(SagaState.Waiting, "first come first served would have started a2: the other tenant gets its share");
        (await StateAsync(host, _tenant, a2)).Should().Be(SagaState.Pending);

        await GoAsync(host, _other, b1);
        (await StateAsync(host, _tenant, a2)).Should().Be(SagaState.Waiting);
        (await StateAsync(host, _tenant, a3)).Should().Be(SagaState.Pending, "one place: one saga at a time");
        await GoAsync(host, _tenant, a2);
        await GoAsync(host, _tenant, a3);
    }

    [Fact]
    public async Task A_tenant_cap_holds_only_that_tenant_back()
    {
        await using var host = await StartAsync(new() { ["Symphainy:SmartCity:Conductor:MaxRunningSagasPerTenant"] = "2" });
        var a = new[] { await SubmitAsync(host, "orders.wait", _tenant), await SubmitAsync(host, "orders.wait", _tenant), await SubmitAsync(host, "orders.wait", _tenant) };
        var b = new[] { await SubmitAsync(host, "orders.wait", _other), await SubmitAsync(host, "orders.wait", _other) };
        await IdleAsync(host);
        (await StateAsync(host, _tenant, a[2])).Should().Be(SagaState.Pending, "the tenant already runs two");
        foreach (var saga in b)
        {
            (await StateAsync(host, _other, saga)).Should().Be(SagaState.Waiting);
        }

        await GoAsync(host, _tenant, a[0]);
        (await StateAsync(host, _tenant, a[2])).Should().Be(SagaState.Waiting);
    }

    [Fact]
    public async Task A_higher_priority_capability_takes_a_freed_place_before_older_sagas()
    {
        await using var host = await StartAsync(new()
        {
            ["Symphainy:SmartCity:Conductor:MaxRunningSagas"] = "1",
            ["Symphainy:SmartCity:Conductor:Priorities:orders.urgent"] = "10",
        });
        var running = await SubmitAsync(host, "orders.wait", _tenant);
        var older = await SubmitAsync(host, "orders.wait", _other);
        var urgent = await SubmitAsync(host, "orders.urgent", _tenant);
        await IdleAsync(host);

        await GoAsync(host, _tenant, running);
        (await StateAsync(host, _tenant, urgent)).Should().Be(SagaState.Waiting, "priority goes before age and before the other tenant's turn");
        (await StateAsync(host, _other, older)).Should().Be(SagaState.Pending);
        await GoAsync(host, _tenant, urgent);
        (await StateAsync(host, _other, older)).Should().Be(SagaState.Waiting);
    }

    [Fact]
    public async Task Sagas_held_back_when_the_host_stops_resume_after_a_restart_in_their_sessions_order()
    {
        var directory = Directory.CreateTempSubdirectory("symphainy-schedule-").FullName;
        try
        {
            var settings = new Dictionary<string, string?> { ["Symphainy:SmartCity:Traffic:SessionConcurrency"] = "1" };
            SessionId session;
            SagaId[] sagas;
            await using (var host = await StartAsync(settings, directory))
            {
                session = (await host.Services.GetRequiredService<ISessionRegistry>().CreateAsync(_tenant)).Id;
                sagas = [await SubmitAsync(host, "orders.wait", _tenant, session), await SubmitAsync(host, "orders.wait", _tenant, session), await SubmitAsync(host, "orders.wait", _tenant, session)];
                await IdleAsync(host);
                (await StateAsync(host, _tenant, sagas[1])).Should().Be(SagaState.Pending);
            }

            await using (var host = await StartAsync(settings, directory))
            {
                await IdleAsync(host);
                (await StateAsync(host, _tenant, sagas[0])).Should().Be(SagaState.Waiting, "the first resumes where it was");
                (await StateAsync(host, _tenant, sagas[1])).Should().Be(SagaState.Pending, "the held ones are still held, none lost, none run out of order");
                (await StateAsync(host, _tenant, sagas[2])).Should().Be(SagaState.Pending);
                host.Services.GetRequiredService<SagaSchedule>().Queued.Should().Be(2);
                await GoAsync(host, _tenant, sagas[0]);
                (await StateAsync(host, _tenant, sagas[1])).Should().Be(SagaState.Waiting);
                await GoAsync(host, _tenant, sagas[1]);
                await GoAsync(host, _tenant, sagas[2]);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Cancelling_a_held_saga_ends_it_at_once_without_waiting_for_a_place_and_leaves_the_schedule_sound()
    {
        await using var host = await StartAsync(new() { ["Symphainy:SmartCity:Traffic:SessionConcurrency"] = "1" });
        var engine = host.Services.GetRequiredService<ISagaEngine>();
        var session = (await host.Services.GetRequiredService<ISessionRegistry>().CreateAsync(_tenant)).Id;
        var running = await SubmitAsync(host, "orders.wait", _tenant, session);
        var held = await SubmitAsync(host, "orders.wait", _tenant, session);
        var next = await SubmitAsync(host, "orders.wait", _tenant, session);
        await IdleAsync(host);
        (await StateAsync(host, _tenant, held)).Should().Be(SagaState.Pending);

        await engine.CancelAsync(_tenant, held, "the caller changed their mind");
        var ended = await engine.WaitForEndAsync(_tenant, held).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Cancelled, "a cancelled saga does not wait for its session's place");
        ended.CompletedSteps.Should().Be(0);
        await IdleAsync(host);
        (await StateAsync(host, _tenant, running)).Should().Be(SagaState.Waiting, "the running one is untouched");
        (await StateAsync(host, _tenant, next)).Should().Be(SagaState.Pending, "the session still runs one at a time");
        host.Services.GetRequiredService<SagaSchedule>().Queued.Should().Be(1);

        await GoAsync(host, _tenant, running);
        (await StateAsync(host, _tenant, next)).Should().Be(SagaState.Waiting);
        await GoAsync(host, _tenant, next);
        host.Services.GetRequiredService<SagaSchedule>().Running.Should().Be(0, "every place given back once");
    }

    [Fact]
    public async Task The_queue_depth_is_a_gauge()
    {
        await using var host = await StartAsync(new() { ["Symphainy:SmartCity:Conductor:MaxRunningSagas"] = "1" });
        var first = await SubmitAsync(host, "orders.wait", _tenant);
        await SubmitAsync(host, "orders.wait", _tenant);
        await SubmitAsync(host, "orders.wait", _tenant);
        await IdleAsync(host);

        var measured = new Dictionary<string, long>();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // This host's meter only (its meter factory is the meter's scope): other tests' hosts publish the same names.
            if (instrument.Meter.Name == "Symphainy.SmartCity" && ReferenceEquals(instrument.Meter.Scope, factory)
                && instrument.Name is "symphainy.sagas.queued" or "symphainy.sagas.admitted")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => measured[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        measured.Should().Contain("symphainy.sagas.queued", 2).And.Contain("symphainy.sagas.admitted", 1);

        await GoAsync(host, _tenant, first);
        listener.RecordObservableInstruments();
        measured.Should().Contain("symphainy.sagas.queued", 1);
    }

    [Fact]
    public async Task A_limit_below_one_stops_the_host_from_starting_with_a_clear_error()
    {
        var start = () => StartAsync(new() { ["Symphainy:SmartCity:Conductor:MaxRunningSagas"] = "0" });
        (await start.Should().ThrowAsync<SymphainyException>()).Which.Message.Should().Contain("MaxRunningSagas must be at least 1");
    }

    public sealed class WaitsForGo : Orchestrator<SmartCityHost.Order, int>
    {
        public override Task<int> RunAsync(SagaContext saga, SmartCityHost.Order input) => saga.WaitForSignal<int>("go");
    }
}

using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Intake;
using Symphainy.Sagas;

namespace Symphainy.SmartCity.Tests;

[Collection("TwoPhase")] // shares the orchestrator's gates with the zero-trust tests
public sealed class StuckSagaTests
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    [Fact]
    public async Task A_running_saga_without_progress_past_the_threshold_is_reported_once_and_degrades_health_until_it_moves()
    {
        SmartCityHost.TwoPhase.Reset();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SmartCityHost.StartAsync(new() { ["Symphainy:SmartCity:Nurse:StuckAfter"] = "00:05:00" }, services: s => s.AddSingleton<TimeProvider>(time));
        SagaId saga;
        using (SymphainyPrincipal.Use(new SymphainyPrincipal("app", _tenant, new HashSet<string>())))
        {
            saga = (await host.Intake.SubmitAsync(new Intent("orders.two_phase", _tenant, JsonSerializer.SerializeToElement(new SmartCityHost.Order(3))))).Execution;
        }

        await SmartCityHost.TwoPhase.Entered.WaitAsync(TimeSpan.FromSeconds(30)); // step "first" hangs at its gate
        var nurse = host.Services.GetRequiredService<StuckSagaMonitor>();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        time.Advance(TimeSpan.FromMinutes(4));
        nurse.CheckNow().Should().BeEmpty("four minutes without progress is under the threshold");

        time.Advance(TimeSpan.FromMinutes(2));
        nurse.CheckNow().Should().ContainSingle().Which.Should().Match<SagaSnapshot>(s => s.Id == saga && s.CurrentStep == "first");
        nurse.CheckNow();
        host.Logs.Count(l => l.Contains("[730]") && l.Contains(saga.ToString()) && l.Contains("'first'")).Should().Be(1, "reported once, not at every look");
        (await health.CheckHealthAsync()).Entries["symphainy-sagas"].Status.Should().Be(HealthStatus.Degraded);

        SmartCityHost.TwoPhase.Open.Release();
        (await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);
        nurse.CheckNow().Should().BeEmpty();
        (await health.CheckHealthAsync()).Entries["symphainy-sagas"].Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task A_saga_past_its_timeout_does_not_start_its_next_step_and_fails_with_a_typed_error()
    {
        SmartCityHost.TwoPhase.Reset();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SmartCityHost.StartAsync(new() { ["Symphainy:SmartCity:Conductor:SagaTimeouts:orders.two_phase"] = "00:01:00" }, services: s => s.AddSingleton<TimeProvider>(time));
        SagaId saga;
        using (SymphainyPrincipal.Use(new SymphainyPrincipal("app", _tenant, new HashSet<string>())))
        {
            saga = (await host.Intake.SubmitAsync(new Intent("orders.two_phase", _tenant, JsonSerializer.SerializeToElement(new SmartCityHost.Order(3))))).Execution;
        }

        await SmartCityHost.TwoPhase.Entered.WaitAsync(TimeSpan.FromSeconds(30)); // "first" started within the timeout
        time.Advance(TimeSpan.FromMinutes(2));
        SmartCityHost.TwoPhase.Open.Release();

        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Failed);
        ended.CompletedSteps.Should().Be(1, "the step already running finished; the next one did not start");
        ended.Error!.Message.Should().Contain("past its timeout");
    }
}

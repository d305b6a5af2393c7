using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.SmartCity.Tests;

[Collection("Settling")] // the gateway's failure count is shared by the tests of this class
public sealed class ConductorTests
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    private SymphainyPrincipal Operator => new("ops-ada", _tenant, new HashSet<string> { "operator" });

    private async Task<(SmartCityHost Host, SagaId Saga)> ParkAsync()
    {
        SmartCityHost.Settling.FailuresLeft = 1;
        var host = await SmartCityHost.StartAsync();
        SagaId saga;
        using (SymphainyPrincipal.Use(Operator))
        {
            saga = (await host.Intake.SubmitAsync(new Intent("orders.settle", _tenant, JsonSerializer.SerializeToElement(new SmartCityHost.Order(4))))).Execution;
        }

        var conductor = host.Services.GetRequiredService<Conductor>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await conductor.GetParkedAsync(_tenant, saga) is null)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the failing step parks its saga");
            await Task.Delay(10);
        }

        return (host, saga);
    }

    [Fact]
    public async Task A_step_that_fails_for_good_parks_its_saga_and_an_operator_retry_completes_it()
    {
        var (host, saga) = await ParkAsync();
        await using var _ = host;
        var conductor = host.Services.GetRequiredService<Conductor>();
        (await conductor.GetParkedAsync(_tenant, saga)).Should().Be(new ParkedSaga(saga, "settle"));
        conductor.ListParked(_tenant).Should().Equal(new ParkedSaga(saga, "settle"));
        conductor.ListParked(new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>()).Should().BeEmpty("another tenant sees none of them");
        (await host.Services.GetRequiredService<ISagaEngine>().GetAsync(_tenant, saga))!.State.Should().Be(SagaState.Waiting, "parked, not failed");

        using (SymphainyPrincipal.Use(Operator))
        {
            await conductor.RetryAsync(_tenant, saga);
        }

        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Completed);
        ended.Output!.Value.GetInt32().Should().Be(40);

        // The failure, the operator's command and the retried step are all in the log.
        var kinds = new List<string>();
        await foreach (var record in host.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
        {
            if (record.Saga == saga)
            {
                kinds.Add(WalPayloadCodec.Decode(record) switch
                {
                    StepFailedPayload f => $"failed {f.Name}",
                    StepCompletedPayload { StepKind: StepKind.Step } c => $"completed {c.Name}",
                    SagaSignalledPayload s => $"signal {s.Name}",
                    _ => record.Kind.ToString(),
                });
            }
        }

        kinds.Should().ContainInOrder("completed pack", "failed settle", "signal conductor.park.settle", "completed settle (retry 1)", "SagaEnded");
    }

    [Fact]
    public async Task An_operator_can_abandon_a_parked_step_or_cancel_the_saga_and_commands_for_sagas_not_parked_are_refused()
    {
        var (host, saga) = await ParkAsync();
        await using var _ = host;
        var conductor = host.Services.GetRequiredService<Conductor>();
        using (SymphainyPrincipal.Use(Operator))
        {
            await conductor.AbandonAsync(_tenant, saga);
        }

        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Failed);
        ended.Error!.Message.Should().Contain("abandoned by operator ops-ada");

        using (SymphainyPrincipal.Use(Operator))
        {
            var again = () => conductor.RetryAsync(_tenant, saga).AsTask();
            (await again.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("conductor.not_parked");
        }

        var anonymous = () => conductor.CancelAsync(_tenant, saga, "no principal").AsTask();
        (await anonymous.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("security.unauthenticated", "operator commands pass the Security Guard like any intent");
    }
}

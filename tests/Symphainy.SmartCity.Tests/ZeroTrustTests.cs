using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Symphainy.Intake;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.SmartCity.Tests;

[Collection("TwoPhase")] // the orchestrator's gates are shared by the tests of this class
public sealed class ZeroTrustTests
{
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, SystemRandomSource.Instance).Next<TenantId>();

    private Dictionary<string, string?> Key => new()
    {
        ["Symphainy:SmartCity:Security:ApiKeys:0:Id"] = "shop",
        ["Symphainy:SmartCity:Security:ApiKeys:0:SecretHash"] = SecurityGuard.HashSecret("s3cret"),
        ["Symphainy:SmartCity:Security:ApiKeys:0:Tenant"] = _tenant.ToString(),
        ["Symphainy:SmartCity:Security:ApiKeys:0:Roles:0"] = "sales",
    };

    private async Task<(SmartCityHost Host, SagaId Saga)> StartWaitingAsync()
    {
        SmartCityHost.TwoPhase.Reset();
        var host = await SmartCityHost.StartAsync(Key);
        var principal = host.Services.GetRequiredService<SecurityGuard>().Authenticate("shop.s3cret");
        SagaId saga;
        using (SymphainyPrincipal.Use(principal))
        {
            saga = (await host.Intake.SubmitAsync(new Intent("orders.two_phase", _tenant, JsonSerializer.SerializeToElement(new SmartCityHost.Order(1))))).Execution;
        }

        await SmartCityHost.TwoPhase.Entered.WaitAsync(TimeSpan.FromSeconds(30));
        return (host, saga);
    }

    [Fact]
    public async Task A_key_revoked_while_its_saga_runs_stops_the_saga_at_its_next_step()
    {
        var (host, saga) = await StartWaitingAsync();
        await using var _ = host;
        host.Services.GetRequiredService<IOptionsMonitor<SecurityGuardOptions>>().CurrentValue.ApiKeys.Clear(); // revoked
        SmartCityHost.TwoPhase.Open.Release();

        var ended = await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30));
        ended.State.Should().Be(SagaState.Failed);
        var failures = new List<StepFailedPayload>();
        await foreach (var record in host.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
        {
            if (record.Saga == saga && WalPayloadCodec.Decode(record) is StepFailedPayload failed)
            {
                failures.Add(failed);
            }
        }

        failures.Should().ContainSingle().Which.Should().Match<StepFailedPayload>(f => f.Name == "second" && f.Error.Code == "security.forbidden" && f.Final);
        host.Logs.Should().Contain(l => l.Contains("[700]") && l.Contains("shop") && l.Contains("orders.two_phase/second"));
    }

    [Fact]
    public async Task A_saga_whose_principal_stays_allowed_runs_every_step_and_the_principal_is_recorded_with_its_intent_without_secrets()
    {
        var (host, saga) = await StartWaitingAsync();
        await using var _ = host;
        SmartCityHost.TwoPhase.Open.Release();
        (await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, saga).WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(SagaState.Completed);

        await foreach (var record in host.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
        {
            if (record.Saga == saga && WalPayloadCodec.Decode(record) is IntentReceivedPayload intent)
            {
                intent.Metadata.Should().Contain("symphainy.principal", "shop").And.Contain("symphainy.principal.roles", "sales").And.Contain("symphainy.principal.method", "api-key");
                intent.Metadata!.Values.Should().NotContain(v => v.Contains("s3cret"));
            }
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Sagas;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Runtime.Tests.Sagas;

/// <summary>Only a completed saga has an output: a failed or cancelled one has none, live, in its record and after a restart.</summary>
public sealed class SagaOutputTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-output-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 7, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(8)).Next<TenantId>();

    public void Dispose() => _data.Delete(recursive: true);

    private Task<SagaTestHost> StartAsync() => SagaTestHost.StartAsync(
        s => s.AddSaga<PlaceOrderThenFailShipping>("orders.fail_shipping").AddSaga<ApproveOrder>("orders.approve"),
        new Journal(), _data.FullName, _time, _tenant);

    [Fact]
    public async Task A_failed_or_cancelled_saga_has_no_output_live_in_its_record_and_after_a_restart()
    {
        SagaId failed, cancelled;
        await using (var host = await StartAsync())
        {
            failed = (await host.SubmitAsync("orders.fail_shipping", new OrderInput("f-1", 1))).Execution;
            cancelled = (await host.SubmitAsync("orders.approve", new OrderInput("c-1", 1))).Execution;
            await host.WaitForStateAsync(cancelled, SagaState.Waiting);
            await host.Engine.CancelAsync(_tenant, cancelled, "not needed");

            foreach (var (saga, state) in new[] { (failed, SagaState.Failed), (cancelled, SagaState.Cancelled) })
            {
                var end = await host.CompletionAsync(saga);
                end.State.Should().Be(state);
                end.OutputJson.Should().BeNull("a {0} saga produced nothing", state);
                end.Output.Should().BeNull();
                var record = (await host.RecordsAsync(saga)).Single(r => r.Kind == WalRecordKind.SagaEnded);
                ((SagaEndedPayload)WalPayloadCodec.Decode(record)).Output.Should().BeNull("its end record carries no output");
            }
        }

        await using var restarted = await StartAsync();
        foreach (var saga in new[] { failed, cancelled })
        {
            var recovered = await restarted.Engine.GetAsync(_tenant, saga);
            recovered!.IsEnded.Should().BeTrue();
            recovered.OutputJson.Should().BeNull("recovery reads the end record");
            recovered.Output.Should().BeNull();
        }
    }
}

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

    [Fact]
    public async Task The_ended_sagas_kept_for_queries_answer_with_their_own_output_whatever_its_size()
    {
        // Outputs of every size, some larger than the store's chunks, pass through a store that keeps 100: each kept
        // saga must answer with exactly its own output, and a forgotten one must not answer with someone else's.
        const int Kept = 100;
        await using var host = await SagaTestHost.StartAsync(
            s => s.AddSaga<Echo>("tests.echo"), new Journal(), time: _time, tenant: _tenant,
            settings: new Dictionary<string, string?> { ["Symphainy:Sagas:EndedSagasKept"] = Kept.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var sizes = Enumerable.Range(0, 450).Select(i => i % 50 == 7 ? 40_000 : i * 97 % 3_001).ToArray();
        var sagas = new List<(SagaId Saga, string Expected)>();
        foreach (var (size, i) in sizes.Select((size, i) => (size, i)))
        {
            var saga = (await host.SubmitAsync("tests.echo", new EchoInput((char)('a' + (i % 26)), size))).Execution;
            (await host.CompletionAsync(saga)).State.Should().Be(SagaState.Completed);
            sagas.Add((saga, new string((char)('a' + (i % 26)), size)));
        }

        for (var i = 0; i < sagas.Count; i++)
        {
            var (saga, expected) = sagas[i];
            var found = await host.Engine.GetAsync(_tenant, saga);
            if (i >= sagas.Count - Kept)
            {
                found.Should().NotBeNull("saga {0} is among the last {1} ended", i, Kept);
            }

            if (found is not null)
            {
                System.Text.Json.JsonSerializer.Deserialize<string>(found.OutputJson!.Value.Span).Should().Be(expected, "saga {0} answers with its own output", i);
            }
        }
    }

    public sealed record EchoInput(char Letter, int Length);

    public sealed class Echo : Orchestrator<EchoInput, string>
    {
        public override Task<string> RunAsync(SagaContext saga, EchoInput input) => Task.FromResult(new string(input.Letter, input.Length));
    }
}

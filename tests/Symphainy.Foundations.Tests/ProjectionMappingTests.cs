using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Projection;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.Foundations.Tests;

public sealed class ProjectionMappingTests
{
    [Fact]
    public async Task An_agent_output_traces_back_through_its_step_saga_intent_and_session()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero));
        var ids = new IdGenerator(time, new SeededRandomSource(3));
        var (tenant, session, intent, saga) = (ids.Next<TenantId>(), ids.Next<SessionId>(), ids.Next<IntentId>(), ids.Next<SagaId>());
        var wal = new InMemoryWriteAheadLog(time);
        byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);
        async Task Append(WalPayload payload, SagaId? of = null, IntentId? by = null) =>
            await wal.AppendAsync(new WalEntry(payload.Kind, tenant, WalPayloadCodec.Encode(payload), session, of, by));
        var now = time.GetUtcNow();
        await Append(new SessionPayload(now, now.AddHours(1), null, TimeSpan.FromHours(1), new Dictionary<string, string>()));
        await Append(new IntentReceivedPayload("insights.assess", "insights.assess", 1, Json(new { })), saga, intent);
        await Append(new SagaStartedPayload("insights.assess", 1), saga, intent);
        await Append(new StepCompletedPayload(0, "explain", StepKind.Agent, Json(new { story = "3 nulls" })), saga, intent);
        var graph = new InMemoryStateGraph();
        var projector = new StateGraphProjector(wal, graph, time, NullLogger<StateGraphProjector>.Instance);

        await projector.StartAsync(CancellationToken.None);
        await projector.WaitForPositionAsync(4).WaitAsync(TimeSpan.FromSeconds(20));
        await projector.StopAsync(CancellationToken.None);

        var artifact = await graph.GetNodeAsync(tenant, $"{saga}/artifact/0");
        artifact!.Kind.Should().Be(GraphNodeKind.Artifact);
        artifact.Properties!.Value.GetProperty("value").GetProperty("story").GetString().Should().Be("3 nulls");
        var lineage = await graph.GetLineageAsync(tenant, $"{saga}/artifact/0");
        lineage.Select(s => (s.NodeId, s.Depth, s.Via.Relation)).Should().Equal(
            ($"{saga}/step/0", 1, "produced"), (saga.ToString(), 2, "ran"), (intent.ToString(), 3, "started"), (session.ToString(), 4, "submitted"));
        lineage.Select(s => s.Node!.Kind).Should().Equal(GraphNodeKind.Step, GraphNodeKind.Saga, GraphNodeKind.Intent, GraphNodeKind.Session);
    }
}

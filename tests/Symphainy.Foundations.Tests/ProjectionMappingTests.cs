using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Projection;
using Symphainy.Sagas;
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

    [Fact]
    public async Task Every_record_kind_maps_to_the_same_nodes_edges_and_property_json_as_before()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero));
        var ids = new IdGenerator(time, new SeededRandomSource(4));
        var (tenant, session, intent, saga, failing) = (ids.Next<TenantId>(), ids.Next<SessionId>(), ids.Next<IntentId>(), ids.Next<SagaId>(), ids.Next<SagaId>());
        var wal = new InMemoryWriteAheadLog(time);
        async Task Append(WalPayload payload, SagaId? of = null) =>
            await wal.AppendAsync(new WalEntry(payload.Kind, tenant, WalPayloadCodec.Encode(payload), session, of, of is null ? null : intent));
        var now = time.GetUtcNow();
        byte[] Json(string json) => System.Text.Encoding.UTF8.GetBytes(json);
        await Append(new SessionPayload(now, now.AddHours(1), null, TimeSpan.FromHours(1), new Dictionary<string, string>()));
        await Append(new IntentReceivedPayload("Reports.Profile", "reports.profile", 2, Json("{}")), saga);
        await Append(new SagaStartedPayload("reports.profile", 2), saga);
        await Append(new StepCompletedPayload(0, "profile <é>", StepKind.Step, Json("""{"rows":[1,2.50,null],"s":"a\"b\u00e9"}""")), saga);
        await Append(new StepCompletedPayload(1, "explain", StepKind.Agent, Json("\"3 nulls\"")), saga);
        await Append(new StepCompletedPayload(2, "wait", StepKind.Timer, Due: now.AddMinutes(1)), saga);
        await Append(new SagaEndedPayload(SagaState.Completed, "reports.profile", 2, Json("""{"total":3}""")), saga);
        await Append(new SagaStartedPayload("reports.profile", 2), failing);
        await Append(new StepFailedPayload(0, "profile", StepKind.Step, 3, true, new SagaError("db.down", ErrorKind.Platform, "no \"db\"", "profile"), TimeSpan.Zero), failing);
        await Append(new SagaEndedPayload(SagaState.Failed, "reports.profile", 2, Error: new SagaError("db.down", ErrorKind.Platform, "no \"db\"", "profile")), failing);
        await Append(new SessionPayload(now, now.AddHours(1), now.AddMinutes(5), TimeSpan.FromHours(1), new Dictionary<string, string>()));
        var graph = new InMemoryStateGraph();
        var projector = new StateGraphProjector(wal, graph, time, NullLogger<StateGraphProjector>.Instance);

        await projector.StartAsync(CancellationToken.None);
        await projector.WaitForPositionAsync(wal.NextPosition - 1).WaitAsync(TimeSpan.FromSeconds(20));
        await projector.StopAsync(CancellationToken.None);

        string Short(string id) => id.Replace(saga.ToString(), "S", StringComparison.Ordinal).Replace(failing.ToString(), "F", StringComparison.Ordinal);
        var lines = new List<string>();
        foreach (var kind in Enum.GetValues<GraphNodeKind>())
        {
            foreach (var node in await graph.QueryNodesAsync(tenant, kind, 100))
            {
                lines.Add($"{node.Kind} {Short(node.Id)} {node.Properties?.GetRawText()}");
                foreach (var edge in (await graph.GetEdgesAsync(tenant, node.Id, EdgeDirection.Outgoing)).OrderBy(e => e.To, StringComparer.Ordinal).ThenBy(e => e.Relation, StringComparer.Ordinal))
                {
                    lines.Add($"  -{edge.Relation}-> {Short(edge.To)}");
                }
            }
        }

        // What the mapping wrote when it serialized anonymous objects: the stored format, kept byte for byte. The one
        // difference: a JSON value from the log is copied as recorded, where it used to be re-escaped (the fact's
        // "a\u0022b\u00E9"); the Runtime records values escaped that way already, so for its records the text is the same.
        var expected = new[]
        {
            $$"""Session {{session}} {"state":"ended","position":11}""",
            $"  -submitted-> {intent}",
            $$"""Intent {{intent}} {"type":"Reports.Profile","definition":"reports.profile","version":2,"position":2}""",
            "  -started-> S",
            """Saga S {"definition":"reports.profile","version":2,"state":"Completed"}""",
            "  -produced-> S/output",
            "  -ran-> S/step/0",
            "  -ran-> S/step/1",
            "  -ran-> S/step/2",
            """Saga F {"definition":"reports.profile","version":2,"state":"Failed","code":"db.down","errorKind":"Platform","message":"no \u0022db\u0022","step":"profile"}""",
            "  -ran-> F/step/0",
            """Step S/step/0 {"name":"profile \u003C\u00E9\u003E","kind":"step","index":0,"state":"completed"}""",
            "  -produced-> S/fact/0",
            """Step S/step/1 {"name":"explain","kind":"agent","index":1,"state":"completed"}""",
            "  -produced-> S/artifact/1",
            """Step S/step/2 {"name":"wait","kind":"timer","index":2,"state":"completed"}""",
            """Step F/step/0 {"name":"profile","index":0,"state":"failed","attempts":3,"code":"db.down","message":"no \u0022db\u0022"}""",
            """Fact S/fact/0 {"step":"profile \u003C\u00E9\u003E","value":{"rows":[1,2.50,null],"s":"a\"b\u00e9"}}""",
            """Artifact S/artifact/1 {"step":"explain","value":"3 nulls"}""",
            """Artifact S/output {"value":{"total":3}}""",
        };
        lines.Should().Equal(expected);
    }
}

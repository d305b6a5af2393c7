using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Symphainy.State;

namespace Symphainy.Conformance.State;

/// <summary>
/// The contract every <see cref="IStateGraph"/> adapter keeps; derive and say how to create one. The tests are skippable:
/// an adapter whose server the environment does not name (ArangoDB without <c>SYMPHAINY_ARANGO_URL</c>) calls
/// <c>Skip.If</c> in <see cref="CreateGraphAsync"/>, and each test then reports itself skipped with the reason, never passed.
/// </summary>
public abstract class StateGraphConformance
{
    /// <summary>The clock for node timestamps.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 4, 1, 8, 0, 0, TimeSpan.Zero));

    private readonly IdGenerator _ids = new(new FakeTimeProvider(), new SeededRandomSource(23));

    /// <summary>Creates an empty graph (or one with a fresh key space).</summary>
    /// <param name="time">The clock.</param>
    protected abstract ValueTask<IStateGraph> CreateGraphAsync(FakeTimeProvider time);

    private TenantId NewTenant() => _ids.Next<TenantId>();

    private GraphNode Node(TenantId tenant, string id, GraphNodeKind kind, object? properties = null) =>
        new(tenant, id, kind, properties is null ? null : JsonSerializer.SerializeToElement(properties), Time.GetUtcNow());

    [SkippableFact]
    public async Task A_written_node_reads_back_with_its_properties()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        await graph.UpsertAsync(GraphBatch.Of(Node(tenant, "sag_1", GraphNodeKind.Saga, new { definition = "orders.place", version = 2 })));

        var node = await graph.GetNodeAsync(tenant, "sag_1");
        node.Should().NotBeNull();
        node!.Kind.Should().Be(GraphNodeKind.Saga);
        node.UpdatedAt.Should().Be(Time.GetUtcNow());
        node.Properties!.Value.GetProperty("definition").GetString().Should().Be("orders.place");
        node.Properties.Value.GetProperty("version").GetInt32().Should().Be(2);
        (await graph.GetNodeAsync(tenant, "sag_2")).Should().BeNull();
    }

    [SkippableFact]
    public async Task Upserting_a_node_again_replaces_it()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        await graph.UpsertAsync(GraphBatch.Of(Node(tenant, "step_1", GraphNodeKind.Step, new { state = "running" })));
        Time.Advance(TimeSpan.FromSeconds(5));
        await graph.UpsertAsync(GraphBatch.Of(Node(tenant, "step_1", GraphNodeKind.Step, new { state = "completed" })));

        var node = await graph.GetNodeAsync(tenant, "step_1");
        node!.Properties!.Value.GetProperty("state").GetString().Should().Be("completed");
        node.UpdatedAt.Should().Be(Time.GetUtcNow());
        (await graph.QueryNodesAsync(tenant, GraphNodeKind.Step, 10)).Should().ContainSingle();
    }

    [SkippableFact]
    public async Task Edges_are_idempotent_and_listed_in_both_directions()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        var edge = new GraphEdge(tenant, "int_1", "sag_1", "started");
        await graph.UpsertAsync(new GraphBatch([Node(tenant, "int_1", GraphNodeKind.Intent), Node(tenant, "sag_1", GraphNodeKind.Saga)], [edge, edge]));
        await graph.UpsertAsync(new GraphBatch([], [edge, new GraphEdge(tenant, "sag_1", "step_a", "ran")]));

        (await graph.GetEdgesAsync(tenant, "sag_1", EdgeDirection.Incoming)).Should().Equal(edge);
        (await graph.GetEdgesAsync(tenant, "sag_1", EdgeDirection.Outgoing)).Should().Equal(new GraphEdge(tenant, "sag_1", "step_a", "ran"));
        (await graph.GetEdgesAsync(tenant, "sag_1", EdgeDirection.Both)).Should().HaveCount(2);
        (await graph.GetEdgesAsync(tenant, "int_1", EdgeDirection.Incoming)).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task An_edge_may_arrive_before_its_nodes()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        await graph.UpsertAsync(new GraphBatch([], [new GraphEdge(tenant, "later_cause", "later_effect", "led_to")]));
        var lineage = await graph.GetLineageAsync(tenant, "later_effect");
        lineage.Should().ContainSingle().Which.Should().Match<LineageStep>(s => s.NodeId == "later_cause" && s.Node == null && s.Depth == 1);

        await graph.UpsertAsync(GraphBatch.Of(Node(tenant, "later_cause", GraphNodeKind.Fact)));
        (await graph.GetLineageAsync(tenant, "later_effect")).Single().Node!.Kind.Should().Be(GraphNodeKind.Fact);
    }

    [SkippableFact]
    public async Task Nodes_of_a_kind_page_in_id_order()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        var ids = Enumerable.Range(0, 25).Select(i => $"art_{i:D3}").ToArray();
        await graph.UpsertAsync(new GraphBatch(ids.Reverse().Select(id => Node(tenant, id, GraphNodeKind.Artifact)).Append(Node(tenant, "fact_1", GraphNodeKind.Fact)).ToArray(), []));

        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await graph.QueryNodesAsync(tenant, GraphNodeKind.Artifact, 10, after);
            if (page.Count == 0)
            {
                break;
            }

            page.Count.Should().BeLessThanOrEqualTo(10);
            seen.AddRange(page.Select(n => n.Id));
            after = page[^1].Id;
        }

        seen.Should().Equal(ids);
    }

    [SkippableFact]
    public async Task Lineage_of_an_artifact_walks_a_five_level_chain_with_depths_nearest_first()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        string[] chain = ["ses_1", "int_1", "sag_1", "step_load", "fact_table", "art_report"];
        GraphNodeKind[] kinds = [GraphNodeKind.Session, GraphNodeKind.Intent, GraphNodeKind.Saga, GraphNodeKind.Step, GraphNodeKind.Fact, GraphNodeKind.Artifact];
        await graph.UpsertAsync(new GraphBatch(
            chain.Select((id, i) => Node(tenant, id, kinds[i])).ToArray(),
            chain.Zip(chain.Skip(1), (from, to) => new GraphEdge(tenant, from, to, "led_to")).ToArray()));

        var lineage = await graph.GetLineageAsync(tenant, "art_report", maxDepth: 10);

        lineage.Select(s => (s.NodeId, s.Depth)).Should().Equal(
            ("fact_table", 1), ("step_load", 2), ("sag_1", 3), ("int_1", 4), ("ses_1", 5));
        lineage.Select(s => s.Node!.Kind).Should().Equal(GraphNodeKind.Fact, GraphNodeKind.Step, GraphNodeKind.Saga, GraphNodeKind.Intent, GraphNodeKind.Session);
        lineage[0].Via.Should().Be(new GraphEdge(tenant, "fact_table", "art_report", "led_to"));
        (await graph.GetLineageAsync(tenant, "art_report", maxDepth: 2)).Select(s => s.NodeId).Should().Equal("fact_table", "step_load");
        (await graph.GetLineageAsync(tenant, "ses_1")).Should().BeEmpty();
    }

    [SkippableFact]
    public async Task Lineage_reports_each_ancestor_once_at_its_shortest_depth_and_survives_cycles()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        await graph.UpsertAsync(new GraphBatch([], [
            new GraphEdge(tenant, "a", "target", "led_to"),
            new GraphEdge(tenant, "b", "a", "led_to"),
            new GraphEdge(tenant, "b", "target", "led_to"),
            new GraphEdge(tenant, "target", "b", "feeds_back"),
        ]));

        var lineage = await graph.GetLineageAsync(tenant, "target", maxDepth: 50);
        lineage.Select(s => (s.NodeId, s.Depth)).Should().BeEquivalentTo(new[] { ("a", 1), ("b", 1) });
    }

    [SkippableFact]
    public async Task Bad_arguments_are_refused_with_typed_errors()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        var badId = async () => await graph.UpsertAsync(GraphBatch.Of(Node(tenant, "", GraphNodeKind.Fact)));
        (await badId.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_key");
        var noTenant = async () => await graph.UpsertAsync(GraphBatch.Of(Node(default, "x", GraphNodeKind.Fact)));
        (await noTenant.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
        var badLimit = async () => await graph.QueryNodesAsync(tenant, GraphNodeKind.Fact, 0);
        (await badLimit.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
        var badDepth = async () => await graph.GetLineageAsync(tenant, "x", 0);
        (await badDepth.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
    }

    [SkippableFact]
    public async Task Deleting_nodes_removes_them_and_every_edge_at_them_and_nothing_of_another_tenant()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        var other = NewTenant();
        foreach (var t in new[] { tenant, other })
        {
            await graph.UpsertAsync(new GraphBatch(
                [Node(t, "ses_1", GraphNodeKind.Session), Node(t, "int_1", GraphNodeKind.Intent), Node(t, "sag_1", GraphNodeKind.Saga), Node(t, "sag_1/step/0", GraphNodeKind.Step), Node(t, "keep", GraphNodeKind.Fact)],
                [new GraphEdge(t, "ses_1", "int_1", "submitted"), new GraphEdge(t, "int_1", "sag_1", "started"), new GraphEdge(t, "sag_1", "sag_1/step/0", "ran"), new GraphEdge(t, "keep", "int_1", "led_to"), new GraphEdge(t, "sag_1", "never_written", "produced")]));
        }

        (await graph.DeleteNodesAsync(tenant, ["int_1", "sag_1", "sag_1/step/0", "not_there"])).Should().Be(3);

        (await graph.GetNodeAsync(tenant, "int_1")).Should().BeNull();
        (await graph.GetNodeAsync(tenant, "sag_1")).Should().BeNull();
        (await graph.QueryNodesAsync(tenant, GraphNodeKind.Step, 10)).Should().BeEmpty();
        (await graph.GetNodeAsync(tenant, "ses_1")).Should().NotBeNull("only the named nodes go");
        (await graph.GetNodeAsync(tenant, "keep")).Should().NotBeNull();
        (await graph.GetEdgesAsync(tenant, "ses_1", EdgeDirection.Both)).Should().BeEmpty("the edge into a deleted node goes with it");
        (await graph.GetEdgesAsync(tenant, "keep", EdgeDirection.Both)).Should().BeEmpty();
        (await graph.GetEdgesAsync(tenant, "never_written", EdgeDirection.Both)).Should().BeEmpty("an edge from a deleted node goes, whether or not its other end exists");
        (await graph.GetLineageAsync(tenant, "sag_1/step/0")).Should().BeEmpty();

        (await graph.QueryNodesAsync(other, GraphNodeKind.Saga, 10)).Should().ContainSingle();
        (await graph.GetEdgesAsync(other, "int_1", EdgeDirection.Both)).Should().HaveCount(3, "another tenant's nodes with the same ids are untouched");
        (await graph.GetLineageAsync(other, "sag_1/step/0")).Select(s => s.NodeId).Should().BeEquivalentTo(["sag_1", "int_1", "ses_1", "keep"]);

        (await graph.DeleteNodesAsync(tenant, ["int_1", "sag_1", "sag_1/step/0"])).Should().Be(0, "deleting again deletes nothing more");
    }

    [SkippableFact]
    public async Task Deleting_a_tenant_removes_all_its_nodes_and_edges_and_nothing_of_another_tenant()
    {
        var graph = await CreateGraphAsync(Time);
        var tenant = NewTenant();
        var other = NewTenant();
        foreach (var t in new[] { tenant, other })
        {
            await graph.UpsertAsync(new GraphBatch(
                [Node(t, "ses_1", GraphNodeKind.Session), Node(t, "sag_1", GraphNodeKind.Saga), Node(t, "sag_1/fact/0", GraphNodeKind.Fact)],
                [new GraphEdge(t, "ses_1", "sag_1", "led_to"), new GraphEdge(t, "sag_1", "sag_1/fact/0", "produced"), new GraphEdge(t, "dangling_a", "dangling_b", "led_to")]));
        }

        (await graph.DeleteTenantAsync(tenant)).Should().Be(3);

        foreach (var kind in Enum.GetValues<GraphNodeKind>())
        {
            (await graph.QueryNodesAsync(tenant, kind, 100)).Should().BeEmpty();
        }

        foreach (var id in new[] { "ses_1", "sag_1", "sag_1/fact/0", "dangling_a", "dangling_b" })
        {
            (await graph.GetEdgesAsync(tenant, id, EdgeDirection.Both)).Should().BeEmpty();
        }

        (await graph.GetNodeAsync(other, "sag_1")).Should().NotBeNull();
        (await graph.GetEdgesAsync(other, "sag_1", EdgeDirection.Both)).Should().HaveCount(2);
        (await graph.GetEdgesAsync(other, "dangling_a", EdgeDirection.Outgoing)).Should().ContainSingle();
        (await graph.DeleteTenantAsync(tenant)).Should().Be(0, "deleting again deletes nothing more");

        var noTenant = async () => await graph.DeleteTenantAsync(default);
        (await noTenant.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
        var badId = async () => await graph.DeleteNodesAsync(tenant, [""]);
        (await badId.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_key");
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Tenants_never_see_each_others_nodes_edges_or_lineage(int seed)
    {
        var graph = await CreateGraphAsync(Time);
        var tenants = new[] { NewTenant(), NewTenant(), NewTenant() };
        var random = new Random(seed);
        var ids = Enumerable.Range(0, 15).Select(i => $"node_{i:D2}").ToArray();
        var nodes = new Dictionary<(TenantId, string), string>();
        var edges = new HashSet<GraphEdge>();
        for (var op = 0; op < 300; op++)
        {
            var tenant = tenants[random.Next(3)];
            if (random.Next(2) == 0)
            {
                var id = ids[random.Next(ids.Length)];
                var mark = $"{tenant}/{op}";
                await graph.UpsertAsync(GraphBatch.Of(Node(tenant, id, GraphNodeKind.Fact, new { mark })));
                nodes[(tenant, id)] = mark;
            }
            else
            {
                var edge = new GraphEdge(tenant, ids[random.Next(ids.Length)], ids[random.Next(ids.Length)], "led_to");
                await graph.UpsertAsync(new GraphBatch([], [edge]));
                edges.Add(edge);
            }
        }

        foreach (var tenant in tenants)
        {
            var listed = await graph.QueryNodesAsync(tenant, GraphNodeKind.Fact, 100);
            listed.Select(n => n.Id).Should().BeEquivalentTo(nodes.Keys.Where(k => k.Item1 == tenant).Select(k => k.Item2));
            listed.Should().OnlyContain(n => n.Tenant == tenant && n.Properties!.Value.GetProperty("mark").GetString()!.StartsWith(tenant.ToString(), StringComparison.Ordinal));
            foreach (var id in ids)
            {
                var found = await graph.GetEdgesAsync(tenant, id, EdgeDirection.Both);
                found.Should().BeEquivalentTo(edges.Where(e => e.Tenant == tenant && (e.From == id || e.To == id)));
                var lineage = await graph.GetLineageAsync(tenant, id, 100);
                var ownSources = edges.Where(e => e.Tenant == tenant).Select(e => e.From).ToHashSet();
                foreach (var step in lineage)
                {
                    step.Via.Tenant.Should().Be(tenant);
                    ownSources.Should().Contain(step.NodeId, "every ancestor comes from this tenant's own edges");
                    if (step.Node is not null)
                    {
                        step.Node.Tenant.Should().Be(tenant);
                    }
                }
            }
        }
    }
}

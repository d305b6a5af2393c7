using System.Text.Json;
using Symphainy.State;

namespace Symphainy.PublicWorks.Arango.Tests;

/// <summary>
/// <see cref="ArangoStateGraph"/> against a fake server answering with ArangoDB's documented responses: what it asks
/// (bootstrap, AQL with bind variables, tenant filters, transactions) and how it reads the answers. Protocol tests: the
/// fake runs no AQL, so query semantics are proven only by the conformance suite against a real server.
/// </summary>
[Trait("Category", "Protocol")]
public sealed class ArangoStateGraphProtocolTests : IAsyncLifetime, IDisposable
{
    private static readonly TenantId Tenant = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f70");
    private static readonly TenantId Other = TenantId.Parse("ten_019ab0c1e4a37c3a9f1e2b3c4d5e6f71");
    private static readonly DateTimeOffset When = new(2026, 4, 1, 8, 0, 0, TimeSpan.Zero);

    // Values a caller controls, with AQL syntax in them: they must reach the server as bind variables only.
    private const string HostileId = "x\" OR 1 == 1 RETURN n //";
    private const string HostileRelation = "led_to\" } REMOVE n IN nodes //";

    private FakeArangoServer _server = null!;
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task InitializeAsync() => _server = await FakeArangoServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private ArangoStateGraph Graph(Action<ArangoOptions>? change = null) => new(_http, _server.Options(change));

    private static GraphNode Node(TenantId tenant, string id, GraphNodeKind kind = GraphNodeKind.Fact, object? properties = null) =>
        new(tenant, id, kind, properties is null ? null : JsonSerializer.SerializeToElement(properties), When);

    private IEnumerable<RecordedRequest> After(int count) => _server.Requests.Skip(count);

    [Fact]
    public async Task The_first_call_creates_collections_and_indexes_once_with_the_tenant_leading_every_index()
    {
        var graph = Graph(o => o.CollectionPrefix = "app_");
        await graph.GetNodeAsync(Tenant, "a");
        await graph.GetNodeAsync(Tenant, "b");

        var requests = _server.Requests;
        requests.Select(r => $"{r.Method} {r.Path}{r.Query}").Should().Equal(
            "GET /_db/symphainy/_api/database/current",
            "POST /_db/symphainy/_api/collection",
            "POST /_db/symphainy/_api/collection",
            "POST /_db/symphainy/_api/collection",
            "POST /_db/symphainy/_api/index?collection=app_nodes",
            "POST /_db/symphainy/_api/index?collection=app_edges",
            "POST /_db/symphainy/_api/index?collection=app_edges",
            "POST /_db/symphainy/_api/cursor",
            "POST /_db/symphainy/_api/cursor");
        requests.Skip(1).Take(3).Select(r => (r.Json.GetProperty("name").GetString(), r.Json.GetProperty("type").GetInt32()))
            .Should().Equal(("app_nodes", 2), ("app_edges", 3), ("app_checkpoints", 2));
        foreach (var index in requests.Skip(4).Take(3).Select(r => r.Json))
        {
            index.GetProperty("type").GetString().Should().Be("persistent");
            index.GetProperty("fields")[0].GetString().Should().Be("tenant", "tenant isolation: every index leads with the tenant");
        }

        requests[4].Json.GetProperty("fields").EnumerateArray().Select(f => f.GetString()).Should().Equal("tenant", "kind", "ord");
    }

    [Fact]
    public async Task A_missing_database_is_created_through_the_system_database()
    {
        _server.Enqueue("GET", "/_api/database/current", ArangoResponses.DatabaseNotFound);

        await Graph(o => o.Database = "graph_db").EnsureCreatedAsync();

        var create = _server.Requests[1];
        $"{create.Method} {create.Path}".Should().Be("POST /_db/_system/_api/database");
        create.Json.GetProperty("name").GetString().Should().Be("graph_db");
        _server.Requests[2].Path.Should().Be("/_db/graph_db/_api/collection");
    }

    [Fact]
    public async Task Existing_collections_are_checked_for_their_type_and_a_wrong_type_is_refused()
    {
        _server.Enqueue("POST", "/_api/collection", ArangoResponses.DuplicateName, ArangoResponses.DuplicateName);
        _server.Enqueue("GET", "/_api/collection/symphainy_nodes", new FakeResponse(200, ArangoResponses.CollectionCreated("symphainy_nodes", 2)));
        _server.Enqueue("GET", "/_api/collection/symphainy_edges", new FakeResponse(200, ArangoResponses.CollectionCreated("symphainy_edges", 2)));

        var act = () => Graph().EnsureCreatedAsync();

        var error = (await act.Should().ThrowAsync<ArangoException>()).Which;
        error.Message.Should().Contain("symphainy_edges").And.Contain("edge").And.Contain("CollectionPrefix");
    }

    [Fact]
    public async Task A_failed_bootstrap_is_tried_again_on_the_next_call()
    {
        _server.Enqueue("GET", "/_api/database/current", new FakeResponse(401, ArangoResponses.Error(401, 401, "not authorized to execute this request")));
        var graph = Graph();

        var first = () => graph.GetNodeAsync(Tenant, "a").AsTask();
        (await first.Should().ThrowAsync<ArangoException>()).Which.Code.Should().Be("arango.unauthorized");
        await graph.GetNodeAsync(Tenant, "a");

        _server.Requests.Count(r => r.Path.EndsWith("/_api/database/current", StringComparison.Ordinal)).Should().Be(2);
    }

    [Fact]
    public async Task Every_query_of_nodes_or_edges_filters_by_the_tenant_and_every_value_is_a_bind_variable()
    {
        var graph = Graph();
        await graph.EnsureCreatedAsync();
        var bootstrap = _server.Requests.Count;

        await graph.UpsertAsync(new GraphBatch(
            [Node(Tenant, HostileId, properties: new { note = "FOR x IN y REMOVE x IN y" }), Node(Other, "n2")],
            [new GraphEdge(Tenant, HostileId, "n2", HostileRelation), new GraphEdge(Other, "n2", HostileId, "led_to")]));
        await graph.GetNodeAsync(Tenant, HostileId);
        await graph.QueryNodesAsync(Tenant, GraphNodeKind.Fact, 10, afterId: HostileId);
        foreach (var direction in Enum.GetValues<EdgeDirection>())
        {
            await graph.GetEdgesAsync(Tenant, HostileId, direction);
        }

        await graph.GetLineageAsync(Tenant, HostileId, 7);
        _server.Enqueue("POST", "/_api/cursor", new FakeResponse(201, ArangoResponses.Cursor(201, "[]", false)), new FakeResponse(201, ArangoResponses.Cursor(201, "[1]", false)));
        await graph.DeleteNodesAsync(Tenant, [HostileId]);
        await graph.DeleteTenantAsync(Tenant);
        await graph.UpsertWithCheckpointAsync(graph, new GraphBatch([Node(Tenant, "n3")], [new GraphEdge(Tenant, "n3", HostileId, "produced")]), "wal-to-graph", 42);

        var graphQueries = After(bootstrap).Where(r => r.IsCursorCreate && (r.BindVars.TryGetProperty("@nodes", out _) || r.BindVars.TryGetProperty("@edges", out _))).ToArray();
        graphQueries.Should().HaveCountGreaterThan(12);
        foreach (var query in graphQueries)
        {
            var aql = query.Aql;
            (aql.Contains("tenant == @tenant", StringComparison.Ordinal) || aql.Contains("{ tenant: @tenant }", StringComparison.Ordinal))
                .Should().BeTrue($"every query of nodes or edges is scoped to one tenant: {aql}");
            query.BindVars.GetProperty("tenant").GetString().Should().BeOneOf(Tenant.ToString(), Other.ToString());
            aql.Should().NotContain(HostileId).And.NotContain(HostileRelation).And.NotContain("REMOVE x IN y").And.NotContain(Tenant.ToString());
        }

        // Writes are grouped by tenant: no write query carries another tenant's documents.
        var writes = graphQueries.Where(q => q.BindVars.TryGetProperty("documents", out _)).ToArray();
        writes.Should().HaveCount(6, "nodes and edges of two tenants, then of one with the checkpoint");
        foreach (var write in writes)
        {
            var tenant = TenantId.Parse(write.BindVars.GetProperty("tenant").GetString()!);
            foreach (var document in write.BindVars.GetProperty("documents").EnumerateArray())
            {
                var key = document.GetProperty("_key").GetString()!;
                var expected = document.TryGetProperty("relation", out var relation)
                    ? ArangoSchema.EdgeKey(tenant, document.GetProperty("from").GetString()!, document.GetProperty("to").GetString()!, relation.GetString()!)
                    : ArangoSchema.NodeKey(tenant, document.GetProperty("id").GetString()!);
                key.Should().Be(expected, "a document's key is derived from its own tenant");
            }
        }

        After(bootstrap).Where(r => r.IsCursorCreate).Should().OnlyContain(r => !r.Aql.Contains(HostileId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upserting_nodes_and_edges_writes_documents_with_derived_keys_in_one_streaming_transaction()
    {
        var graph = Graph();
        await graph.EnsureCreatedAsync();
        var bootstrap = _server.Requests.Count;
        var edge = new GraphEdge(Tenant, "sag_1/step/0", "art_1", "produced");

        await graph.UpsertAsync(new GraphBatch([Node(Tenant, "sag_1/step/0", GraphNodeKind.Step, new { state = "done", n = 3 })], [edge, edge]));

        var requests = After(bootstrap).ToArray();
        requests.Select(r => $"{r.Method} {r.Path}").Should().Equal(
            "POST /_db/symphainy/_api/transaction/begin", "POST /_db/symphainy/_api/cursor", "POST /_db/symphainy/_api/cursor", "PUT /_db/symphainy/_api/transaction/7781");
        requests[0].Json.GetProperty("collections").GetProperty("write").EnumerateArray().Select(c => c.GetString()).Should().Equal("symphainy_nodes", "symphainy_edges");
        requests[1..3].Should().OnlyContain(r => r.Header(ArangoClient.TransactionHeader) == "7781");

        requests[1].Aql.Should().Contain("INSERT").And.Contain("overwriteMode: \"replace\"");
        var node = requests[1].BindVars.GetProperty("documents").EnumerateArray().Single();
        node.GetProperty("_key").GetString().Should().Be(ArangoSchema.NodeKey(Tenant, "sag_1/step/0")).And.MatchRegex("^[0-9a-f]{64}$");
        node.GetProperty("id").GetString().Should().Be("sag_1/step/0");
        node.GetProperty("kind").GetInt32().Should().Be((int)GraphNodeKind.Step);
        node.GetProperty("properties").GetProperty("state").GetString().Should().Be("done");
        node.GetProperty("updatedAt").GetInt64().Should().Be(When.UtcTicks);
        node.GetProperty("ord").GetString().Should().Be(ArangoSchema.Ordinal("sag_1/step/0"));

        requests[2].Aql.Should().Contain("overwriteMode: \"ignore\"", "an edge written again is left as it is");
        var written = requests[2].BindVars.GetProperty("documents").EnumerateArray().Should().ContainSingle("the same edge twice is one document").Subject;
        written.GetProperty("_from").GetString().Should().Be("symphainy_nodes/" + ArangoSchema.NodeKey(Tenant, "sag_1/step/0"));
        written.GetProperty("_to").GetString().Should().Be("symphainy_nodes/" + ArangoSchema.NodeKey(Tenant, "art_1"));
        written.GetProperty("relation").GetString().Should().Be("produced");
        ArangoSchema.NodeKey(Tenant, "art_1").Should().NotBe(ArangoSchema.NodeKey(Other, "art_1"), "the same id of two tenants is two documents");
    }

    [Fact]
    public async Task A_batch_that_is_one_query_is_sent_without_a_transaction()
    {
        var graph = Graph();
        await graph.EnsureCreatedAsync();
        var bootstrap = _server.Requests.Count;

        await graph.UpsertAsync(GraphBatch.Of(Node(Tenant, "a"), Node(Tenant, "b")));

        After(bootstrap).Select(r => $"{r.Method} {r.Path}").Should().Equal("POST /_db/symphainy/_api/cursor");
        After(bootstrap).Single().BindVars.GetProperty("documents").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public async Task Large_batches_are_imported_in_chunks_of_the_batch_size()
    {
        var graph = Graph(o => o.BatchSize = 100);
        await graph.EnsureCreatedAsync();
        var bootstrap = _server.Requests.Count;

        await graph.UpsertAsync(new GraphBatch(Enumerable.Range(0, 250).Select(i => Node(Tenant, $"n{i:D3}")).ToArray(), []));

        After(bootstrap).Where(r => r.IsCursorCreate).Select(r => r.BindVars.GetProperty("documents").GetArrayLength()).Should().Equal(100, 100, 50);
    }

    [Fact]
    public async Task A_node_document_reads_back_as_a_graph_node()
    {
        var graph = Graph();
        var document = $$"""[{"_key":"{{ArangoSchema.NodeKey(Tenant, "sag_1")}}","_id":"symphainy_nodes/k","_rev":"_h1","tenant":"{{Tenant}}","id":"sag_1","ord":"{{ArangoSchema.Ordinal("sag_1")}}","kind":3,"properties":{"definition":"orders.place","version":2},"updatedAt":{{When.UtcTicks}}}]""";
        _server.Enqueue("POST", r => r.IsCursorCreate && r.Aql.Contains("n._key == @key", StringComparison.Ordinal), new FakeResponse(201, ArangoResponses.Cursor(201, document, false)));

        var node = await graph.GetNodeAsync(Tenant, "sag_1");

        node.Should().NotBeNull();
        node!.Tenant.Should().Be(Tenant);
        node.Kind.Should().Be(GraphNodeKind.Saga);
        node.UpdatedAt.Should().Be(When);
        node.Properties!.Value.GetProperty("version").GetInt32().Should().Be(2);
        var query = _server.Queries[^1];
        query.BindVars.GetProperty("key").GetString().Should().Be(ArangoSchema.NodeKey(Tenant, "sag_1"));
    }

    [Fact]
    public async Task Paging_binds_the_kind_the_limit_and_the_ordinal_form_of_the_last_id()
    {
        var graph = Graph();

        await graph.QueryNodesAsync(Tenant, GraphNodeKind.Artifact, 10, "art_009");

        var query = _server.Queries[^1];
        query.Aql.Should().Contain("SORT n.ord").And.Contain("n.ord > @after").And.Contain("LIMIT @limit");
        query.BindVars.GetProperty("kind").GetInt32().Should().Be((int)GraphNodeKind.Artifact);
        query.BindVars.GetProperty("limit").GetInt32().Should().Be(10);
        query.BindVars.GetProperty("after").GetString().Should().Be(ArangoSchema.Ordinal("art_009"));
    }

    [Fact]
    public void The_ordinal_form_orders_as_ids_do_ordinally()
    {
        string[] ids = ["a", "B", "ab", "a\u00e9", "a\uffff", "Z", "a b", "a/b", "\u00e9", "\ud83d\ude00", "1", "10", "9", "_x", "x_"];
        var byOrdinal = ids.Order(StringComparer.Ordinal).ToArray();
        var byForm = ids.OrderBy(ArangoSchema.Ordinal, StringComparer.Ordinal).ToArray();

        byForm.Should().Equal(byOrdinal);
        ids.Select(ArangoSchema.Ordinal).Should().OnlyContain(f => f.All(c => char.IsAsciiDigit(c) || (c >= 'a' && c <= 'f')), "only digits and a-f, whose ICU order is their code point order");
    }

    [Fact]
    public async Task Edges_are_asked_for_by_the_nodes_handle_in_the_chosen_direction()
    {
        var graph = Graph();
        var handle = "symphainy_nodes/" + ArangoSchema.NodeKey(Tenant, "sag_1");
        var edge = $$"""[{"_key":"k","_from":"symphainy_nodes/x","_to":"{{handle}}","tenant":"{{Tenant}}","from":"int_1","to":"sag_1","relation":"started"}]""";
        _server.Enqueue("POST", r => r.IsCursorCreate && r.Aql.Contains("e._to == @vertex", StringComparison.Ordinal), new FakeResponse(201, ArangoResponses.Cursor(201, edge, false)));

        var incoming = await graph.GetEdgesAsync(Tenant, "sag_1", EdgeDirection.Incoming);
        await graph.GetEdgesAsync(Tenant, "sag_1", EdgeDirection.Outgoing);
        await graph.GetEdgesAsync(Tenant, "sag_1", EdgeDirection.Both);

        incoming.Should().Equal(new GraphEdge(Tenant, "int_1", "sag_1", "started"));
        var queries = _server.Queries.TakeLast(3).ToArray();
        queries.Should().OnlyContain(q => q.BindVars.GetProperty("vertex").GetString() == handle);
        queries[1].Aql.Should().Contain("e._from == @vertex").And.NotContain("e._to");
        queries[2].Aql.Should().Contain("e._from == @vertex OR e._to == @vertex");
    }

    [Fact]
    public async Task Lineage_is_a_breadth_first_inbound_traversal_read_nearest_first_with_missing_nodes_as_null()
    {
        var graph = Graph();
        var rows = $$"""
            [
              {"depth":2,"from":"step_load","to":"fact_table","relation":"led_to","node":{"tenant":"{{Tenant}}","id":"step_load","kind":4,"properties":null,"updatedAt":{{When.UtcTicks}}} },
              {"depth":1,"from":"fact_table","to":"art_report","relation":"led_to","node":null},
              {"depth":2,"from":"sag_1","to":"fact_table","relation":"ran","node":{"tenant":"{{Tenant}}","id":"sag_1","kind":3,"updatedAt":{{When.UtcTicks}}} }
            ]
            """;
        var answer = ArangoResponses.Cursor(201, rows, false).Replace("\"warnings\":[]", "\"warnings\":[{\"code\":1202,\"message\":\"vertex 'symphainy_nodes/k' not found\"}]", StringComparison.Ordinal);
        _server.Enqueue("POST", r => r.IsCursorCreate && r.Aql.Contains("INBOUND", StringComparison.Ordinal), new FakeResponse(201, answer));

        var lineage = await graph.GetLineageAsync(Tenant, "art_report", maxDepth: 10);

        lineage.Select(s => (s.NodeId, s.Depth)).Should().Equal(("fact_table", 1), ("sag_1", 2), ("step_load", 2));
        lineage[0].Node.Should().BeNull("an edge may name a node not written yet");
        lineage[0].Via.Should().Be(new GraphEdge(Tenant, "fact_table", "art_report", "led_to"));
        lineage[2].Node!.Kind.Should().Be(GraphNodeKind.Step);
        var query = _server.Queries[^1];
        query.Aql.Should().StartWith("WITH symphainy_nodes").And.Contain("1..@depth INBOUND @vertex @@edges").And.Contain("order: \"bfs\"").And.Contain("uniqueVertices: \"global\"");
        query.Aql.IndexOf("PRUNE", StringComparison.Ordinal).Should().BeLessThan(query.Aql.IndexOf("OPTIONS", StringComparison.Ordinal), "AQL's traversal syntax puts PRUNE before OPTIONS");
        query.Aql.Should().Contain("PRUNE e != null AND", "e is null at the start vertex, which must not be pruned");
        query.BindVars.GetProperty("depth").GetInt32().Should().Be(10);
        query.Json.GetProperty("options").GetProperty("failOnWarning").GetBoolean().Should().BeFalse("an edge to a missing vertex warns (1202) and is not a failure");
        query.BindVars.GetProperty("vertex").GetString().Should().Be("symphainy_nodes/" + ArangoSchema.NodeKey(Tenant, "art_report"));
    }

    [Fact]
    public async Task Deleting_nodes_removes_their_edges_and_them_in_one_transaction_and_counts_what_went()
    {
        var graph = Graph();
        await graph.EnsureCreatedAsync();
        var bootstrap = _server.Requests.Count;
        _server.Enqueue("POST", r => r.IsCursorCreate && r.Aql.Contains("LENGTH(removed)", StringComparison.Ordinal), new FakeResponse(201, ArangoResponses.Cursor(201, "[2]", false)));

        var deleted = await graph.DeleteNodesAsync(Tenant, ["int_1", "sag_1", "int_1"]);

        deleted.Should().Be(2);
        var requests = After(bootstrap).ToArray();
        requests.Select(r => $"{r.Method} {r.Path}").Should().Equal(
            "POST /_db/symphainy/_api/transaction/begin", "POST /_db/symphainy/_api/cursor", "POST /_db/symphainy/_api/cursor", "PUT /_db/symphainy/_api/transaction/7781");
        requests[1].Aql.Should().Contain("REMOVE e IN @@edges");
        requests[1].BindVars.GetProperty("vertices").EnumerateArray().Select(v => v.GetString()).Should().Equal(
            "symphainy_nodes/" + ArangoSchema.NodeKey(Tenant, "int_1"), "symphainy_nodes/" + ArangoSchema.NodeKey(Tenant, "sag_1"));
        requests[2].BindVars.GetProperty("keys").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public async Task The_projectors_batch_and_checkpoint_are_written_in_one_transaction()
    {
        var graph = Graph();
        await graph.EnsureCreatedAsync();
        var bootstrap = _server.Requests.Count;

        await graph.UpsertWithCheckpointAsync(graph, GraphBatch.Of(Node(Tenant, "a")), "wal-to-graph", 4096);

        var requests = After(bootstrap).ToArray();
        requests[0].Json.GetProperty("collections").GetProperty("write").EnumerateArray().Select(c => c.GetString()).Should().Equal("symphainy_nodes", "symphainy_edges", "symphainy_checkpoints");
        var checkpoint = requests.Last(r => r.IsCursorCreate);
        checkpoint.Header(ArangoClient.TransactionHeader).Should().Be("7781");
        checkpoint.BindVars.GetProperty("position").GetInt64().Should().Be(4096);
        checkpoint.BindVars.GetProperty("name").GetString().Should().Be("wal-to-graph");
        requests.Last().Method.Should().Be("PUT");
    }

    [Fact]
    public async Task A_checkpoint_reads_back_as_its_position_or_zero()
    {
        var graph = Graph();
        _server.Enqueue("POST", r => r.IsCursorCreate && r.Aql.Contains("c.position", StringComparison.Ordinal),
            new FakeResponse(201, ArangoResponses.Cursor(201, "[123456789012]", false)),
            new FakeResponse(201, ArangoResponses.Cursor(201, "[]", false)));

        (await graph.GetCheckpointAsync("wal-to-graph")).Should().Be(123456789012);
        (await graph.GetCheckpointAsync("other")).Should().Be(0);
    }

    [Fact]
    public async Task Bad_arguments_are_refused_with_typed_errors_before_anything_is_sent()
    {
        var graph = Graph();

        (await FluentActions.Awaiting(() => graph.GetNodeAsync(Tenant, "").AsTask()).Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_key");
        (await FluentActions.Awaiting(() => graph.UpsertAsync(GraphBatch.Of(Node(default, "x"))).AsTask()).Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
        (await FluentActions.Awaiting(() => graph.QueryNodesAsync(Tenant, GraphNodeKind.Fact, 10_001).AsTask()).Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
        (await FluentActions.Awaiting(() => graph.GetLineageAsync(Tenant, "x", 101).AsTask()).Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
        (await FluentActions.Awaiting(() => graph.DeleteTenantAsync(default).AsTask()).Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_argument");
        (await FluentActions.Awaiting(() => graph.GetEdgesAsync(Tenant, new string('x', 513), EdgeDirection.Both).AsTask()).Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("state.invalid_key");

        _server.Requests.Should().BeEmpty();
    }
}

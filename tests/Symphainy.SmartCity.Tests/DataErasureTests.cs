using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Symphainy.Intake;
using Symphainy.Projection;
using Symphainy.PublicWorks.Sqlite;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.State;
using Symphainy.Wal;
using Symphainy.Wal.Records;

namespace Symphainy.SmartCity.Tests;

public sealed class DataErasureTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly IdGenerator _ids = new(TimeProvider.System, SystemRandomSource.Instance);
    private readonly TenantId _tenant;
    private readonly TenantId _other;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"symphainy-erasure-{Guid.NewGuid():N}");

    public DataErasureTests()
    {
        _tenant = _ids.Next<TenantId>();
        _other = _ids.Next<TenantId>();
    }

    private SymphainyPrincipal Steward(TenantId tenant) => new("dpo", tenant, new HashSet<string> { "data-erasure" });

    private static SymphainyPrincipal Clerk(TenantId tenant) => new("clerk", tenant, new HashSet<string>());

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Task<SmartCityHost> StartAsync(Dictionary<string, string?>? settings = null, string? dataDirectory = null, Action<IServiceCollection>? services = null, bool sqlite = false) =>
        SmartCityHost.StartAsync(settings, dataDirectory: dataDirectory, services: services, symphainy: b =>
        {
            b.AddFoundations();
            if (sqlite)
            {
                b.UseSqliteStateGraph();
            }
        });

    private static async Task<SagaId> RunAsync(SmartCityHost host, string type, TenantId tenant, SessionId? session = null)
    {
        IntentAcceptance accepted;
        using (SymphainyPrincipal.Use(Clerk(tenant)))
        {
            accepted = await host.Intake.SubmitAsync(new Intent(type, tenant, JsonSerializer.SerializeToElement(new SmartCityHost.Order(7)), session));
        }

        (await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(tenant, accepted.Execution).WaitAsync(Bound)).State.Should().Be(SagaState.Completed);
        return accepted.Execution;
    }

    private static async Task ProjectedAsync(SmartCityHost host) =>
        await host.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(host.Services.GetRequiredService<IWriteAheadLog>().NextPosition - 1).WaitAsync(Bound);

    private static async Task<List<string>> NodesAsync(IStateGraph graph, TenantId tenant)
    {
        var ids = new List<string>();
        foreach (var kind in Enum.GetValues<GraphNodeKind>())
        {
            ids.AddRange((await graph.QueryNodesAsync(tenant, kind, 10_000)).Select(n => n.Id));
        }

        return ids;
    }

    [Fact]
    public async Task A_tenant_erasure_removes_the_tenant_s_graph_nodes_and_kept_sagas_and_leaves_another_tenant_untouched()
    {
        await using var host = await StartAsync();
        var erased = new[] { await RunAsync(host, "orders.place", _tenant), await RunAsync(host, "orders.refund", _tenant) };
        var kept = await RunAsync(host, "orders.place", _other);
        await ProjectedAsync(host);
        var graph = host.Services.GetRequiredService<IStateGraph>();
        var engine = host.Services.GetRequiredService<ISagaEngine>();
        var otherBefore = await NodesAsync(graph, _other);
        (await graph.GetNodeAsync(_tenant, erased[0].ToString())).Should().NotBeNull("the projector wrote the tenant's executions");

        ErasureOutcome outcome;
        using (SymphainyPrincipal.Use(Steward(_tenant)))
        {
            outcome = await host.Services.GetRequiredService<DataErasure>().EraseAsync(_tenant).WaitAsync(Bound);
        }

        outcome.Scope.Should().Be(ErasureScope.Tenant);
        outcome.Executions.Should().Be(2);
        outcome.GraphNodes.Should().BeGreaterThanOrEqualTo(2 * 4, "intent, saga, step and fact of each execution");
        outcome.EndedSagasForgotten.Should().Be(2);
        await ProjectedAsync(host);
        foreach (var saga in erased)
        {
            (await graph.GetNodeAsync(_tenant, saga.ToString())).Should().BeNull();
            (await graph.GetEdgesAsync(_tenant, saga.ToString(), EdgeDirection.Both)).Should().BeEmpty();
            (await engine.GetAsync(_tenant, saga)).Should().BeNull("neither the engine's memory nor the graph knows it any more");
        }

        (await NodesAsync(graph, _tenant)).Should().OnlyContain(id => !erased.Any(s => id.StartsWith(s.ToString(), StringComparison.Ordinal)),
            "what is left of the tenant is the erasure's own record");
        (await NodesAsync(graph, _other)).Should().BeEquivalentTo(otherBefore, "another tenant's data is untouched");
        (await engine.GetAsync(_other, kept))!.State.Should().Be(SagaState.Completed);

        // The log is append-only: the erased executions' records are still there, until log retention removes them.
        var inLog = new List<SagaId>();
        await foreach (var record in host.Services.GetRequiredService<IWriteAheadLog>().ReadAsync(1))
        {
            if (record.Kind == WalRecordKind.SagaEnded && record.Saga is { } id)
            {
                inLog.Add(id);
            }
        }

        inLog.Should().Contain(erased);
    }

    [Fact]
    public async Task A_session_erasure_removes_that_session_s_executions_only()
    {
        await using var host = await StartAsync();
        var sessions = host.Services.GetRequiredService<ISessionRegistry>();
        var session = (await sessions.CreateAsync(_tenant)).Id;
        var inSession = await RunAsync(host, "orders.place", _tenant, session);
        var outside = await RunAsync(host, "orders.place", _tenant);
        await ProjectedAsync(host);
        var graph = host.Services.GetRequiredService<IStateGraph>();
        (await graph.GetNodeAsync(_tenant, session.ToString())).Should().NotBeNull();

        ErasureOutcome outcome;
        using (SymphainyPrincipal.Use(Steward(_tenant)))
        {
            outcome = await host.Services.GetRequiredService<DataErasure>().EraseAsync(_tenant, new ErasureRequest(Session: session)).WaitAsync(Bound);
        }

        outcome.Should().Match<ErasureOutcome>(o => o.Scope == ErasureScope.Session && o.Session == session && o.Executions == 1 && o.EndedSagasForgotten == 1);
        outcome.GraphNodes.Should().Be(6, "the session, its intent, the saga, its step, the step's fact and the saga's output");
        (await graph.GetNodeAsync(_tenant, session.ToString())).Should().BeNull();
        (await graph.GetNodeAsync(_tenant, inSession.ToString())).Should().BeNull();
        (await graph.GetNodeAsync(_tenant, ExecutionGraph.StepNode(inSession, 0))).Should().BeNull();
        (await graph.GetNodeAsync(_tenant, outside.ToString())).Should().NotBeNull("an execution outside the session stays");
        (await host.Services.GetRequiredService<ISagaEngine>().GetAsync(_tenant, outside)).Should().NotBeNull();

        using (SymphainyPrincipal.Use(Steward(_tenant)))
        {
            var again = await host.Services.GetRequiredService<DataErasure>().EraseAsync(_tenant, new ErasureRequest(Session: session)).WaitAsync(Bound);
            again.GraphNodes.Should().Be(0, "erasing again removes nothing more");
        }
    }

    [Fact]
    public async Task Erasure_requests_of_another_tenant_without_the_role_or_with_bad_input_are_refused_and_not_recorded()
    {
        await using var host = await StartAsync();
        var erasure = host.Services.GetRequiredService<DataErasure>();
        var otherSession = (await host.Services.GetRequiredService<ISessionRegistry>().CreateAsync(_other)).Id;
        var wal = host.Services.GetRequiredService<IWriteAheadLog>();
        var before = wal.NextPosition;

        async Task<string> RefusedAsync(SymphainyPrincipal principal, TenantId tenant, ErasureRequest? request = null)
        {
            using var _ = SymphainyPrincipal.Use(principal);
            var refused = async () => await erasure.RequestAsync(tenant, request);
            return (await refused.Should().ThrowAsync<SymphainyException>()).Which.Code;
        }

        (await RefusedAsync(Steward(_other), _tenant)).Should().Be("security.forbidden", "a principal of another tenant");
        (await RefusedAsync(Clerk(_tenant), _tenant)).Should().Be("security.forbidden", "a principal without the erasure role");
        (await RefusedAsync(Steward(_tenant), _tenant, new ErasureRequest(Session: _ids.Next<SessionId>()))).Should().Be("data.erasure_unknown_session");
        (await RefusedAsync(Steward(_tenant), _tenant, new ErasureRequest(Session: otherSession))).Should().Be("data.erasure_unknown_session", "another tenant's session is unknown to this one");
        (await RefusedAsync(Steward(_tenant), _tenant, new ErasureRequest(Session: otherSession, Executions: []))).Should().Be("data.erasure_invalid");
        (await RefusedAsync(Steward(_tenant), default)).Should().Be("data.erasure_invalid");

        // Submitted straight to intake, the same checks apply.
        using (SymphainyPrincipal.Use(Steward(_tenant)))
        {
            var raw = async () => await host.Intake.SubmitAsync(new Intent(DataErasure.IntentType, _tenant, JsonSerializer.SerializeToElement(new { session = _ids.Next<SessionId>().ToString() })));
            (await raw.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("data.erasure_unknown_session");
        }

        var erasures = 0;
        await foreach (var record in wal.ReadAsync(before))
        {
            erasures += WalPayloadCodec.Decode(record) is IntentReceivedPayload { IntentType: DataErasure.IntentType } ? 1 : 0;
        }

        erasures.Should().Be(0, "nothing is recorded for a refused request");
    }

    [Fact]
    public async Task An_erasure_interrupted_by_a_stop_completes_after_the_restart_on_a_sqlite_file()
    {
        Directory.CreateDirectory(_directory);
        var gate = new BlockingGraph.Gate();
        SagaId kept, erased;
        IntentAcceptance accepted;
        // No drain at stop: the host goes away in the middle of the erasure's step, as a crash would leave it.
        await using (var first = await StartAsync(new() { ["Symphainy:SmartCity:City:DrainDeadline"] = "00:00:00" }, dataDirectory: _directory, sqlite: true, services: s => s.AddSingleton<IStateGraph>(sp => new BlockingGraph(sp.GetRequiredService<SqliteStateGraph>(), gate))))
        {
            erased = await RunAsync(first, "orders.place", _tenant);
            kept = await RunAsync(first, "orders.place", _other);
            await ProjectedAsync(first);
            using (SymphainyPrincipal.Use(Steward(_tenant)))
            {
                accepted = await first.Services.GetRequiredService<DataErasure>().RequestAsync(_tenant);
            }

            (await gate.Entered.WaitAsync(Bound)).Should().BeTrue("the erasure's step reached the delete");
        } // the host stops while the erasure's step is deleting: the step records nothing

        using (var file = new SqliteStateGraph(Path.Combine(_directory, "state-graph.db")))
        {
            (await file.GetNodeAsync(_tenant, erased.ToString())).Should().NotBeNull("the interrupted step deleted nothing");
        }

        await using (var second = await StartAsync(dataDirectory: _directory, sqlite: true))
        {
            var outcome = await second.Services.GetRequiredService<DataErasure>().GetOutcomeAsync(_tenant, accepted.Execution).WaitAsync(Bound);
            outcome.Executions.Should().Be(1);
            outcome.GraphNodes.Should().BeGreaterThanOrEqualTo(4);
            var graph = second.Services.GetRequiredService<IStateGraph>();
            graph.Should().BeOfType<SqliteStateGraph>();
            (await graph.GetNodeAsync(_tenant, erased.ToString())).Should().BeNull();
            (await graph.GetNodeAsync(_tenant, ExecutionGraph.StepNode(erased, 0))).Should().BeNull();
            (await graph.GetNodeAsync(_other, kept.ToString())).Should().NotBeNull();
        }

        using (var file = new SqliteStateGraph(Path.Combine(_directory, "state-graph.db")))
        {
            (await file.GetNodeAsync(_tenant, erased.ToString())).Should().BeNull("the erasure is durable in the file");
            (await file.GetNodeAsync(_other, kept.ToString())).Should().NotBeNull();
        }
    }

    [Fact]
    public async Task The_retention_sweep_erases_only_ended_executions_past_their_retention()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 8, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(
            new()
            {
                [$"Symphainy:SmartCity:Data:Retention:Tenants:{_tenant}"] = "1.00:00:00",
                ["Symphainy:SmartCity:Data:Retention:IntentTypes:orders.refund"] = "7.00:00:00",
                ["Symphainy:SmartCity:Data:Retention:SweepEvery"] = "01:00:00",
            },
            services: s => s.AddSingleton<TimeProvider>(time));
        var graph = host.Services.GetRequiredService<IStateGraph>();
        var sweep = host.Services.GetRequiredService<RetentionSweep>();
        var old = await RunAsync(host, "orders.place", _tenant);
        var refund = await RunAsync(host, "orders.refund", _tenant);
        var otherTenant = await RunAsync(host, "orders.place", _other);
        await ProjectedAsync(host);

        var first = sweep.NextSweep;
        time.Advance(TimeSpan.FromHours(12));
        (await first.WaitAsync(Bound)).Should().Be(new RetentionSweepResult(1, 0, 0, 0, 0), "nothing is a day old yet, and only the listed tenant is swept");
        var recent = await RunAsync(host, "orders.place", _tenant);
        await ProjectedAsync(host);

        var second = sweep.NextSweep;
        time.Advance(TimeSpan.FromHours(13));
        var result = await second.WaitAsync(Bound);
        result.Expired.Should().Be(1);
        result.Erased.Should().Be(1);
        result.FailedRequests.Should().Be(0);
        await ProjectedAsync(host);

        (await graph.GetNodeAsync(_tenant, old.ToString())).Should().BeNull("it ended 25 hours ago; its tenant keeps a day");
        (await graph.GetNodeAsync(_tenant, refund.ToString())).Should().NotBeNull("refunds are kept seven days");
        (await graph.GetNodeAsync(_tenant, recent.ToString())).Should().NotBeNull("it ended 13 hours ago");
        (await graph.GetNodeAsync(_other, otherTenant.ToString())).Should().NotBeNull("a tenant without retention is not swept");
        host.Logs.Should().Contain(l => l.Contains("[742]", StringComparison.Ordinal) && l.Contains("1 ended executions past their retention, 1 erased", StringComparison.Ordinal));
    }

    /// <summary>A graph whose deletes wait, holding the erasure's step, until the host stops.</summary>
    private sealed class BlockingGraph(SqliteStateGraph inner, BlockingGraph.Gate gate) : IStateGraph, IProjectionCheckpoints
    {
        public ValueTask UpsertAsync(GraphBatch batch, CancellationToken cancellationToken = default) => inner.UpsertAsync(batch, cancellationToken);

        public ValueTask<GraphNode?> GetNodeAsync(TenantId tenant, string id, CancellationToken cancellationToken = default) => inner.GetNodeAsync(tenant, id, cancellationToken);

        public ValueTask<IReadOnlyList<GraphNode>> QueryNodesAsync(TenantId tenant, GraphNodeKind kind, int limit, string? afterId = null, CancellationToken cancellationToken = default) =>
            inner.QueryNodesAsync(tenant, kind, limit, afterId, cancellationToken);

        public ValueTask<IReadOnlyList<GraphEdge>> GetEdgesAsync(TenantId tenant, string nodeId, EdgeDirection direction, CancellationToken cancellationToken = default) =>
            inner.GetEdgesAsync(tenant, nodeId, direction, cancellationToken);

        public ValueTask<IReadOnlyList<LineageStep>> GetLineageAsync(TenantId tenant, string nodeId, int maxDepth = 32, CancellationToken cancellationToken = default) =>
            inner.GetLineageAsync(tenant, nodeId, maxDepth, cancellationToken);

        public async ValueTask<int> DeleteNodesAsync(TenantId tenant, IReadOnlyCollection<string> nodeIds, CancellationToken cancellationToken = default)
        {
            gate.Entered.Release();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public async ValueTask<int> DeleteTenantAsync(TenantId tenant, CancellationToken cancellationToken = default)
        {
            gate.Entered.Release();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public ValueTask<long> GetCheckpointAsync(string projection, CancellationToken cancellationToken = default) => inner.GetCheckpointAsync(projection, cancellationToken);

        public ValueTask SetCheckpointAsync(string projection, long position, CancellationToken cancellationToken = default) => inner.SetCheckpointAsync(projection, position, cancellationToken);

        public ValueTask UpsertWithCheckpointAsync(IStateGraph graph, GraphBatch batch, string projection, long position, CancellationToken cancellationToken = default) =>
            inner.UpsertWithCheckpointAsync(inner, batch, projection, position, cancellationToken);

        public sealed class Gate
        {
            public SemaphoreSlim Entered { get; } = new(0);
        }
    }
}

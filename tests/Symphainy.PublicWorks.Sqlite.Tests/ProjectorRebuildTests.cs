using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Symphainy.Hosting;
using Symphainy.Intake;
using Symphainy.Projection;
using Symphainy.Sagas;
using Symphainy.Sessions;
using Symphainy.State;

namespace Symphainy.PublicWorks.Sqlite.Tests;

public sealed record ReportInput(string Table);

public sealed class Profiler
{
    public int Rows(string table) => table.Length * 10;
}

public sealed class ReportSaga : Orchestrator<ReportInput, string>
{
    public override async Task<string> RunAsync(SagaContext saga, ReportInput input)
    {
        var rows = await saga.Step("profile", (Profiler p) => p.Rows(input.Table));
        var story = await saga.Agent("explain", (Profiler _) => Task.FromResult(new { text = $"{input.Table} has {rows} rows" }));
        return story.text;
    }
}

public sealed class ProjectorRebuildTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("symphainy-rebuild-");
    private readonly TenantId _tenant = new IdGenerator(TimeProvider.System, new SeededRandomSource(5)).Next<TenantId>();

    public void Dispose() => _data.Delete(recursive: true);

    private async Task<IHost> StartAsync(int endedSagasKept = 10_000)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = _data.FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Symphainy:DataDirectory"] = _data.FullName,
            ["Symphainy:Sagas:EndedSagasKept"] = endedSagasKept.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Profiler>();
        new SymphainyBuilder(builder.Services).UseSqliteStateGraph().AddCapability<ReportSaga>("reports.profile", "reports", "profiles a report");
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<string> DumpAsync(IStateGraph graph, TenantId tenant)
    {
        var lines = new List<string>();
        foreach (var kind in Enum.GetValues<GraphNodeKind>())
        {
            foreach (var node in await graph.QueryNodesAsync(tenant, kind, 10_000))
            {
                lines.Add($"{node.Kind} {node.Id} {node.UpdatedAt:O} {node.Properties?.GetRawText()}");
                foreach (var edge in (await graph.GetEdgesAsync(tenant, node.Id, EdgeDirection.Outgoing)).OrderBy(e => e.To, StringComparer.Ordinal).ThenBy(e => e.Relation, StringComparer.Ordinal))
                {
                    lines.Add($"  -{edge.Relation}-> {edge.To}");
                }
            }
        }

        return string.Join('\n', lines);
    }

    [Fact]
    public async Task Deleting_the_database_and_restarting_rebuilds_an_identical_graph_from_the_log()
    {
        string before;
        string artifact;
        using (var host = await StartAsync())
        {
            var session = await host.Services.GetRequiredService<ISessionRegistry>().CreateAsync(_tenant);
            var intake = host.Services.GetRequiredService<IIntentIntake>();
            var engine = host.Services.GetRequiredService<ISagaEngine>();
            SagaId last = default;
            foreach (var table in new[] { "orders", "customers", "invoices" })
            {
                var accepted = await intake.SubmitAsync(new Intent("reports.profile", _tenant, JsonSerializer.SerializeToElement(new ReportInput(table)), session.Id));
                await engine.WaitForEndAsync(_tenant, accepted.Execution).WaitAsync(TimeSpan.FromSeconds(20));
                last = accepted.Execution;
            }

            var wal = host.Services.GetRequiredService<Symphainy.Wal.IWriteAheadLog>();
            await host.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(wal.NextPosition - 1).WaitAsync(TimeSpan.FromSeconds(20));
            var graph = host.Services.GetRequiredService<IStateGraph>();
            graph.Should().BeOfType<SqliteStateGraph>();
            before = await DumpAsync(graph, _tenant);
            artifact = $"{last}/artifact/1";
            var lineage = await graph.GetLineageAsync(_tenant, artifact);
            lineage.Select(s => s.Node!.Kind).Should().Equal(GraphNodeKind.Step, GraphNodeKind.Saga, GraphNodeKind.Intent, GraphNodeKind.Session);
            await host.StopAsync();
        }

        before.Should().Contain("Artifact").And.Contain("Fact").And.Contain("-produced->");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(_data.FullName, "state-graph.db*"))
        {
            File.Delete(file);
        }

        using (var host = await StartAsync())
        {
            var wal = host.Services.GetRequiredService<Symphainy.Wal.IWriteAheadLog>();
            await host.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(wal.NextPosition - 1).WaitAsync(TimeSpan.FromSeconds(20));
            var after = await DumpAsync(host.Services.GetRequiredService<IStateGraph>(), _tenant);
            after.Should().Be(before);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_restart_resumes_the_projection_from_its_checkpoint()
    {
        using (var host = await StartAsync())
        {
            var accepted = await host.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("reports.profile", _tenant, JsonSerializer.SerializeToElement(new ReportInput("t"))));
            await host.Services.GetRequiredService<ISagaEngine>().WaitForEndAsync(_tenant, accepted.Execution).WaitAsync(TimeSpan.FromSeconds(20));
            var wal = host.Services.GetRequiredService<Symphainy.Wal.IWriteAheadLog>();
            await host.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(wal.NextPosition - 1).WaitAsync(TimeSpan.FromSeconds(20));
            await host.StopAsync();
        }

        using var again = await StartAsync();
        var checkpoint = await again.Services.GetRequiredService<SqliteStateGraph>().GetCheckpointAsync(StateGraphProjector.Name);
        checkpoint.Should().BeGreaterThan(0);
        again.Services.GetRequiredService<StateGraphProjector>().ProjectedPosition.Should().BeGreaterThanOrEqualTo(checkpoint);
        await again.StopAsync();
    }

    [Fact]
    public async Task An_ended_saga_no_longer_kept_in_memory_is_answered_from_the_graph()
    {
        using var host = await StartAsync(endedSagasKept: 0);
        var engine = host.Services.GetRequiredService<ISagaEngine>();
        var accepted = await host.Services.GetRequiredService<IIntentIntake>().SubmitAsync(new Intent("reports.profile", _tenant, JsonSerializer.SerializeToElement(new ReportInput("ledger"))));
        (await engine.WaitForEndAsync(_tenant, accepted.Execution).WaitAsync(TimeSpan.FromSeconds(20))).State.Should().Be(SagaState.Completed);
        var wal = host.Services.GetRequiredService<Symphainy.Wal.IWriteAheadLog>();
        await host.Services.GetRequiredService<StateGraphProjector>().WaitForPositionAsync(wal.NextPosition - 1).WaitAsync(TimeSpan.FromSeconds(20));

        var snapshot = await engine.GetAsync(_tenant, accepted.Execution);
        snapshot!.State.Should().Be(SagaState.Completed);
        snapshot.Definition.Should().Be("reports.profile");
        snapshot.Output!.Value.GetString().Should().Be("ledger has 60 rows");
        var signal = async () => await engine.SignalAsync(_tenant, accepted.Execution, "late", default);
        (await signal.Should().ThrowAsync<SymphainyException>()).Which.Code.Should().Be("saga.already_ended");
        (await engine.GetAsync(new IdGenerator(TimeProvider.System, new SeededRandomSource(9)).Next<TenantId>(), accepted.Execution)).Should().BeNull("another tenant sees nothing");
        await host.StopAsync();
    }
}
